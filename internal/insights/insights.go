// Package insights is a course's numbers for its instructor: enrolments and
// revenue per day from the purchase ledger, the completion funnel and
// per-lecture drop-off from the progress records, coupon performance, and
// the course's rating.
// Every figure is computed on request from those records (bounded batched
// reads), so it always equals a recount of them.
package insights

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
)

// Range limits, as the sales summary's.
const (
	MaxRange     = payment.MaxSummaryRange
	DefaultRange = payment.DefaultSummaryRange
)

// ErrNotOwner refuses insights of a course to anyone but its instructor and
// admins.
var ErrNotOwner = course.ErrNotOwner

// Catalog is what insights need of the catalog (course.Service).
type Catalog interface {
	Visible(ctx context.Context, v course.Viewer, courseID string) (*course.Course, error)
	Lectures(ctx context.Context, v course.Viewer, courseID string) ([]course.Lecture, []bool, error)
}

// Source reads the records the figures come from.
type Source interface {
	// Sales calls fn with every sold (completed or refunded) purchase of
	// the course created in [from, to), free enrolments included, in
	// bounded batches.
	Sales(ctx context.Context, courseID string, from, to time.Time, fn func([]payment.Purchase) error) error
	// Enrolled returns the ids of the users enrolled in the course now.
	Enrolled(ctx context.Context, courseID string) ([]string, error)
	// Progress calls fn with every progress record of the course.
	Progress(ctx context.Context, courseID string, fn func(*progress.Record) error) error
}

// Deps are the collaborators of a Service.
type Deps struct {
	Catalog Catalog
	Source  Source
	Now     func() time.Time // time.Now when nil
}

// Service computes insights.
type Service struct{ d Deps }

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

// Counts are enrolments by how they were paid, and how many had a refund.
type Counts struct {
	Enrolments, Paid, Free, Coupon, Refunds int64
}

// Money sums sales: gross (list prices), discounts, refunded and net, in
// cents.
type Money struct {
	GrossCents, DiscountCents, RefundedCents, NetCents int64
}

func (m *Money) add(p *payment.Purchase) {
	m.GrossCents += p.GrossCents()
	m.DiscountCents += p.Discount()
	m.RefundedCents += p.Refunded()
	m.NetCents += p.Net()
}

func (c *Counts) add(p *payment.Purchase) {
	c.Enrolments++
	switch {
	case p.CouponID != "":
		c.Coupon++
	case p.GrossCents() == 0:
		c.Free++
	default:
		c.Paid++
	}
	if p.Refunded() > 0 {
		c.Refunds++
	}
}

// Day is one UTC day's enrolments and revenue (refunds count on the day of
// their sale, as in the ledger).
type Day struct {
	Day string // YYYY-MM-DD
	Counts
	Money
}

// CouponStats are one coupon code's redemptions (sales made with it) and
// the revenue they brought.
type CouponStats struct {
	Code        string
	Redemptions int64
	Money
}

// Funnel is how far the currently enrolled students got: how many have a
// progress record (started), reached 25, 50 and 75 %, and completed; and
// the median completion percentage (students without a record count 0).
type Funnel struct {
	Enrolled, Started, Reached25, Reached50, Reached75, Completed int64
	MedianCompletion                                              float64
}

// LectureStats says how many enrolled students completed one lecture.
type LectureStats struct {
	ID, Title string
	Completed int64
}

// Rating is the course's rating summary now (the reviews keep it on the
// course): the average to one decimal and the number of visible reviews.
type Rating struct {
	Average float64
	Count   int
}

// Report is a course's insights over [From, To).
type Report struct {
	CourseID, Title string
	From, To        time.Time
	Counts          Counts
	Money           Money
	ByDay           []Day
	Coupons         []CouponStats
	Funnel          Funnel
	Lectures        []LectureStats // in course order
	Rating          Rating
}

// Course returns the insights of a course for its instructor or an admin
// over [from, to): zero to is now, zero from DefaultRange before to.
func (s *Service) Course(ctx context.Context, v course.Viewer, courseID string, from, to time.Time) (*Report, error) {
	if to.IsZero() {
		to = clock.Now(s.d.Now)
	}
	if from.IsZero() {
		from = to.Add(-DefaultRange)
	}
	if to.Sub(from) > MaxRange {
		return nil, payment.ErrRangeTooLong
	}
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if !enrolment.Owns(v, c.InstructorID) {
		return nil, ErrNotOwner
	}
	lectures, _, err := s.d.Catalog.Lectures(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	r := &Report{CourseID: c.ID, Title: c.Title, From: from.UTC(), To: to.UTC(),
		Rating: Rating{Average: c.RatingAverage, Count: c.RatingCount}}
	if err := s.sales(ctx, r); err != nil {
		return nil, err
	}
	if err := s.funnel(ctx, r, lectures); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) sales(ctx context.Context, r *Report) error {
	days := map[string]*Day{}
	coupons := map[string]*CouponStats{}
	err := s.d.Source.Sales(ctx, r.CourseID, r.From, r.To, func(ps []payment.Purchase) error {
		for i := range ps {
			p := &ps[i]
			r.Counts.add(p)
			r.Money.add(p)
			key := p.CreatedAt.UTC().Format(time.DateOnly)
			d := days[key]
			if d == nil {
				d = &Day{Day: key}
				days[key] = d
			}
			d.Counts.add(p)
			d.Money.add(p)
			if p.CouponCode != "" {
				cs := coupons[p.CouponCode]
				if cs == nil {
					cs = &CouponStats{Code: p.CouponCode}
					coupons[p.CouponCode] = cs
				}
				cs.Redemptions++
				cs.Money.add(p)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read sales: %w", err)
	}
	r.ByDay = make([]Day, 0, len(days))
	for _, d := range days {
		r.ByDay = append(r.ByDay, *d)
	}
	sort.Slice(r.ByDay, func(i, j int) bool { return r.ByDay[i].Day < r.ByDay[j].Day })
	r.Coupons = make([]CouponStats, 0, len(coupons))
	for _, c := range coupons {
		r.Coupons = append(r.Coupons, *c)
	}
	sort.Slice(r.Coupons, func(i, j int) bool { return r.Coupons[i].Code < r.Coupons[j].Code })
	return nil
}

// funnel reads the progress of the enrolled students, each record refreshed
// against the course's current lectures (as every progress read is).
func (s *Service) funnel(ctx context.Context, r *Report, lectures []course.Lecture) error {
	enrolled, err := s.d.Source.Enrolled(ctx, r.CourseID)
	if err != nil {
		return fmt.Errorf("read enrolments: %w", err)
	}
	isEnrolled := make(map[string]bool, len(enrolled))
	for _, id := range enrolled {
		isEnrolled[id] = true
	}
	current := make([]string, len(lectures))
	index := make(map[string]int, len(lectures))
	r.Lectures = make([]LectureStats, len(lectures))
	for i, l := range lectures {
		current[i], index[l.ID] = l.ID, i
		r.Lectures[i] = LectureStats{ID: l.ID, Title: l.Title}
	}
	f := &r.Funnel
	f.Enrolled = int64(len(isEnrolled))
	percentages := make([]int, 0, len(isEnrolled))
	err = s.d.Source.Progress(ctx, r.CourseID, func(rec *progress.Record) error {
		if !isEnrolled[rec.UserID] {
			return nil // the instructor's own, or a refunded student's
		}
		delete(isEnrolled, rec.UserID) // one record per student counts
		rec.Refresh(current)
		f.Started++
		pct := rec.CompletionPercentage
		percentages = append(percentages, pct)
		f.Reached25 += b2i(pct >= 25)
		f.Reached50 += b2i(pct >= 50)
		f.Reached75 += b2i(pct >= 75)
		f.Completed += b2i(rec.IsCompleted)
		for _, e := range rec.Lectures {
			if e.IsCompleted {
				r.Lectures[index[e.LectureID]].Completed++
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read progress: %w", err)
	}
	for range isEnrolled { // enrolled without a record: 0 %
		percentages = append(percentages, 0)
	}
	f.MedianCompletion = median(percentages)
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// median is the median of xs (the mean of the middle two for an even
// count), 0 for none.
func median(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return float64(xs[n/2])
	}
	return float64(xs[n/2-1]+xs[n/2]) / 2
}
