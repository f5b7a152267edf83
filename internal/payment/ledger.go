package payment

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
)

// Errors of the ledger.
var (
	ErrLedgerForbidden = apperr.New(apperr.Forbidden, "ledger_forbidden", "You do not have permission to perform this action")
	ErrRangeTooLong    = apperr.New(apperr.Invalid, "range_too_long", "The date range may span at most 366 days")
	ErrBadWindow       = apperr.New(apperr.Invalid, "invalid_window", "The window must be positive")
)

// Ledger limits.
const (
	// MaxSummaryRange is the longest range a summary covers.
	MaxSummaryRange = 366 * 24 * time.Hour
	// DefaultSummaryRange is the range of a summary without `from`.
	DefaultSummaryRange = 30 * 24 * time.Hour
	ledgerBatch         = 500
)

// Person is a buyer as the ledger shows them.
type Person struct {
	Name  string
	Email string
}

// SalesQuery selects purchases for the ledger and the buyer's history.
type SalesQuery struct {
	// CourseIDs limits the purchases to these courses; nil means every
	// course, an empty non-nil slice none.
	CourseIDs []string
	UserID    string   // "": every buyer
	Statuses  []Status // empty: every status
	// PaidOnly leaves out free enrolments (amount 0 without a discount).
	PaidOnly bool
	// From and To bound the purchase's creation time: [From, To); zero
	// values leave that side open.
	From, To    time.Time
	Page, Limit int
}

// SalesFilter is what a reader of the ledger asks for.
type SalesFilter struct {
	CourseID    string // "": all the caller may see
	Status      Status // "", StatusCompleted or StatusRefunded
	From, To    time.Time
	Page, Limit int
}

// Sale is a purchase in the ledger, with names for its course and buyer.
// BuyerEmail is set for admins only.
type Sale struct {
	Purchase
	CourseTitle string
	BuyerName   string
	BuyerEmail  string
}

// Refunded is how much of the sale was refunded, in cents. A purchase
// refunded before refunded amounts were recorded counts as fully refunded.
func (p *Purchase) Refunded() int64 {
	if p.Status == StatusRefunded && p.RefundedCents < p.PaidCents() {
		return p.PaidCents()
	}
	return min(p.RefundedCents, p.PaidCents())
}

// Net is what the sale brought in: Paid less Refunded (= Gross less the
// discount and refunds), in cents.
func (p *Purchase) Net() int64 { return p.PaidCents() - p.Refunded() }

// SalesPage is one page of the ledger.
type SalesPage struct {
	Sales       []Sale
	Total       int64
	Page, Limit int
}

// Totals sum a set of sales: gross (list prices), discounts, paid, refunded
// and net in cents, the number of sales and of sales with a refund.
type Totals struct {
	GrossCents, DiscountCents, PaidCents, RefundedCents, NetCents int64
	Sales, Refunds                                                int64
}

func (t *Totals) add(p *Purchase) {
	t.GrossCents += p.GrossCents()
	t.DiscountCents += p.Discount()
	t.PaidCents += p.PaidCents()
	t.RefundedCents += p.Refunded()
	t.NetCents += p.Net()
	t.Sales++
	if p.Refunded() > 0 {
		t.Refunds++
	}
}

// CourseTotals are the totals of one course.
type CourseTotals struct {
	CourseID, Title string
	Totals
}

// DayTotals are the totals of the sales made on one day (UTC).
type DayTotals struct {
	Day string // YYYY-MM-DD
	Totals
}

// Summary sums the ledger over a range, per course and per day. Refunds
// are counted on the day of their sale. Unmatched is set for admins only:
// refunds whose purchase is unknown, first seen in the range.
type Summary struct {
	From, To  time.Time
	Totals    Totals
	ByCourse  []CourseTotals
	ByDay     []DayTotals
	Unmatched *Totals
}

// saleStatuses are the statuses of purchases that were paid.
var saleStatuses = []Status{StatusCompleted, StatusRefunded}

// scope turns a reader and filter into a query: an admin sees every
// course, an instructor their own; anyone else is refused. It returns the
// titles of the courses in scope when it had to read them.
func (s *Service) scope(ctx context.Context, who auth.Identity, f SalesFilter) (SalesQuery, map[string]string, error) {
	q := SalesQuery{Statuses: saleStatuses, PaidOnly: true, From: f.From, To: f.To, Page: f.Page, Limit: f.Limit}
	if f.Status != "" {
		q.Statuses = []Status{f.Status}
	}
	var titles map[string]string
	switch who.Role {
	case auth.RoleAdmin:
		if f.CourseID != "" {
			q.CourseIDs = []string{f.CourseID}
		}
	case auth.RoleInstructor:
		own, err := s.d.Directory.CoursesOf(ctx, who.UserID)
		if err != nil {
			return q, nil, fmt.Errorf("read the instructor's courses: %w", err)
		}
		titles = own
		q.CourseIDs = []string{}
		for id := range own {
			if f.CourseID == "" || f.CourseID == id {
				q.CourseIDs = append(q.CourseIDs, id)
			}
		}
		sort.Strings(q.CourseIDs)
	default:
		return q, nil, ErrLedgerForbidden
	}
	return q, titles, nil
}

// Sales returns one page of the ledger, newest first: every paid purchase
// of the courses the reader may see (an admin: all; an instructor: their
// own), with the buyer's name, and their email for admins only.
func (s *Service) Sales(ctx context.Context, who auth.Identity, f SalesFilter) (*SalesPage, error) {
	q, titles, err := s.scope(ctx, who, f)
	if err != nil {
		return nil, err
	}
	ps, total, err := s.d.Repo.Sales(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read sales: %w", err)
	}
	sales, err := s.named(ctx, who, ps, titles)
	if err != nil {
		return nil, err
	}
	return &SalesPage{Sales: sales, Total: total, Page: f.Page, Limit: f.Limit}, nil
}

// EachSale calls fn with every sale the filter selects (page and limit
// ignored), oldest first, reading them in bounded batches: for exports.
func (s *Service) EachSale(ctx context.Context, who auth.Identity, f SalesFilter, fn func(Sale) error) error {
	q, titles, err := s.scope(ctx, who, f)
	if err != nil {
		return err
	}
	return s.eachBatch(ctx, q, func(ps []Purchase) error {
		sales, err := s.named(ctx, who, ps, titles)
		if err != nil {
			return err
		}
		for _, sale := range sales {
			if err := fn(sale); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) eachBatch(ctx context.Context, q SalesQuery, fn func([]Purchase) error) error {
	after := ""
	for {
		batch, err := s.d.Repo.SalesAfter(ctx, q, after, ledgerBatch)
		if err != nil {
			return fmt.Errorf("read sales: %w", err)
		}
		if len(batch) > 0 {
			after = batch[len(batch)-1].ID
			if err := fn(batch); err != nil {
				return err
			}
		}
		if len(batch) < ledgerBatch {
			return nil
		}
	}
}

// named adds course titles and, for a reader of the ledger (who has a
// user id), buyers to purchases.
func (s *Service) named(ctx context.Context, who auth.Identity, ps []Purchase, titles map[string]string) ([]Sale, error) {
	var courseIDs, userIDs []string
	for _, p := range ps {
		courseIDs = append(courseIDs, p.CourseID)
		userIDs = append(userIDs, p.UserID)
	}
	if titles == nil && len(courseIDs) > 0 {
		var err error
		if titles, err = s.d.Directory.CourseTitles(ctx, courseIDs); err != nil {
			return nil, fmt.Errorf("read course titles: %w", err)
		}
	}
	people := map[string]Person{}
	if len(userIDs) > 0 && who.UserID != "" {
		var err error
		if people, err = s.d.Directory.People(ctx, userIDs); err != nil {
			return nil, fmt.Errorf("read buyers: %w", err)
		}
	}
	out := make([]Sale, len(ps))
	for i, p := range ps {
		out[i] = Sale{Purchase: p, CourseTitle: titles[p.CourseID], BuyerName: people[p.UserID].Name}
		if who.Role == auth.RoleAdmin {
			out[i].BuyerEmail = people[p.UserID].Email
		}
	}
	return out, nil
}

// Summary sums the sales the reader may see that were made in [from, to):
// in total, per course and per day (UTC). A zero `to` is now, a zero
// `from` DefaultSummaryRange before `to`; the range may not exceed
// MaxSummaryRange. The sums are computed here from bounded reads (the
// embedded database has no aggregation worth the name).
func (s *Service) Summary(ctx context.Context, who auth.Identity, f SalesFilter) (*Summary, error) {
	if f.To.IsZero() {
		f.To = s.now()
	}
	if f.From.IsZero() {
		f.From = f.To.Add(-DefaultSummaryRange)
	}
	if f.To.Sub(f.From) > MaxSummaryRange {
		return nil, ErrRangeTooLong
	}
	q, titles, err := s.scope(ctx, who, f)
	if err != nil {
		return nil, err
	}
	sum := &Summary{From: f.From.UTC(), To: f.To.UTC()}
	courses := map[string]*CourseTotals{}
	days := map[string]*DayTotals{}
	err = s.eachBatch(ctx, q, func(ps []Purchase) error {
		for i := range ps {
			p := &ps[i]
			sum.Totals.add(p)
			c := courses[p.CourseID]
			if c == nil {
				c = &CourseTotals{CourseID: p.CourseID}
				courses[p.CourseID] = c
			}
			c.add(p)
			day := p.CreatedAt.UTC().Format(time.DateOnly)
			d := days[day]
			if d == nil {
				d = &DayTotals{Day: day}
				days[day] = d
			}
			d.add(p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if titles == nil && len(courses) > 0 {
		ids := make([]string, 0, len(courses))
		for id := range courses {
			ids = append(ids, id)
		}
		if titles, err = s.d.Directory.CourseTitles(ctx, ids); err != nil {
			return nil, fmt.Errorf("read course titles: %w", err)
		}
	}
	sum.ByCourse = make([]CourseTotals, 0, len(courses))
	for _, c := range courses {
		c.Title = titles[c.CourseID]
		sum.ByCourse = append(sum.ByCourse, *c)
	}
	sort.Slice(sum.ByCourse, func(i, j int) bool { return sum.ByCourse[i].CourseID < sum.ByCourse[j].CourseID })
	sum.ByDay = make([]DayTotals, 0, len(days))
	for _, d := range days {
		sum.ByDay = append(sum.ByDay, *d)
	}
	sort.Slice(sum.ByDay, func(i, j int) bool { return sum.ByDay[i].Day < sum.ByDay[j].Day })
	if who.Role == auth.RoleAdmin && f.CourseID == "" {
		unmatched, err := s.d.Unmatched.Between(ctx, f.From, f.To)
		if err != nil {
			return nil, fmt.Errorf("read unmatched refunds: %w", err)
		}
		sum.Unmatched = &Totals{}
		for _, u := range unmatched {
			sum.Unmatched.RefundedCents += u.RefundedCents
			sum.Unmatched.NetCents -= u.RefundedCents
			sum.Unmatched.Refunds++
		}
	}
	return sum, nil
}

// History returns one page of a buyer's own purchases, newest first, every
// status included (receipts).
func (s *Service) History(ctx context.Context, userID string, page, limit int) (*SalesPage, error) {
	ps, total, err := s.d.Repo.Sales(ctx, SalesQuery{UserID: userID, Page: page, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("read purchases: %w", err)
	}
	sales, err := s.named(ctx, auth.Identity{}, ps, nil)
	if err != nil {
		return nil, err
	}
	return &SalesPage{Sales: sales, Total: total, Page: page, Limit: limit}, nil
}

// PruneEvents deletes the records of webhook events processed more than
// olderThan ago; events not yet processed (or being processed) stay. It
// returns how many it deleted. Stripe stops redelivering an event after
// three days, so a window longer than that loses nothing.
func (s *Service) PruneEvents(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, ErrBadWindow
	}
	n, err := s.d.Events.Prune(ctx, s.now().Add(-olderThan))
	if err != nil {
		return n, fmt.Errorf("prune webhook events: %w", err)
	}
	return n, nil
}
