package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/payment"
)

// saleCourse names a sale's course. Amounts of sales are given twice:
// integer cents (…Cents) and the same as a decimal string.
type saleCourse struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
}

type saleBuyer struct {
	ID    string `json:"_id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"` // admins only
}

type saleResponse struct {
	ID            string     `json:"_id"`
	Course        saleCourse `json:"course"`
	Buyer         *saleBuyer `json:"buyer,omitempty"` // not in the buyer's own history
	Status        string     `json:"status"`
	Currency      string     `json:"currency"`
	GrossCents    int64      `json:"grossCents"`
	RefundedCents int64      `json:"refundedCents"`
	NetCents      int64      `json:"netCents"`
	Gross         string     `json:"gross"`
	Refunded      string     `json:"refunded"`
	Net           string     `json:"net"`
	// DiscountCents is what a coupon took off the list price (Gross);
	// PaidCents what was charged. CouponCode names the coupon, if any.
	DiscountCents int64      `json:"discountCents"`
	PaidCents     int64      `json:"paidCents"`
	Discount      string     `json:"discount"`
	Paid          string     `json:"paid"`
	CouponCode    string     `json:"couponCode,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	CompletedAt   *time.Time `json:"completedAt"`
	RefundedAt    *time.Time `json:"refundedAt"`
}

type salesPage struct {
	Sales      []saleResponse `json:"sales"`
	Pagination pagination     `json:"pagination"`
}

type historyPage struct {
	Purchases  []saleResponse `json:"purchases"`
	Pagination pagination     `json:"pagination"`
}

type totalsResponse struct {
	Sales         int64  `json:"sales"`
	Refunds       int64  `json:"refunds"`
	GrossCents    int64  `json:"grossCents"`
	RefundedCents int64  `json:"refundedCents"`
	NetCents      int64  `json:"netCents"`
	Gross         string `json:"gross"`
	Refunded      string `json:"refunded"`
	Net           string `json:"net"`
	DiscountCents int64  `json:"discountCents"`
	PaidCents     int64  `json:"paidCents"`
	Discount      string `json:"discount"`
	Paid          string `json:"paid"`
}

type courseTotalsResponse struct {
	Course saleCourse `json:"course"`
	totalsResponse
}

type dayTotalsResponse struct {
	Day string `json:"day"`
	totalsResponse
}

type summaryResponse struct {
	From      time.Time              `json:"from"`
	To        time.Time              `json:"to"`
	Currency  string                 `json:"currency"`
	Totals    totalsResponse         `json:"totals"`
	ByCourse  []courseTotalsResponse `json:"byCourse"`
	ByDay     []dayTotalsResponse    `json:"byDay"`
	Unmatched *totalsResponse        `json:"unmatchedRefunds,omitempty"` // admins only
}

// decimal writes cents as a decimal string: 1234 → "12.34".
func decimal(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func toSaleResponse(s *payment.Sale, withBuyer bool) saleResponse {
	gross, refunded, net := s.GrossCents(), s.Refunded(), s.Net()
	discount, paid := s.Discount(), s.PaidCents()
	out := saleResponse{
		ID: s.ID, Course: saleCourse{ID: s.CourseID, Title: s.CourseTitle}, Status: string(s.Status), Currency: s.Currency,
		GrossCents: gross, RefundedCents: refunded, NetCents: net,
		Gross: decimal(gross), Refunded: decimal(refunded), Net: decimal(net),
		DiscountCents: discount, PaidCents: paid, Discount: decimal(discount), Paid: decimal(paid), CouponCode: s.CouponCode,
		CreatedAt: s.CreatedAt.UTC(), CompletedAt: optionalTime(s.CompletedAt), RefundedAt: optionalTime(s.RefundedAt),
	}
	if withBuyer {
		out.Buyer = &saleBuyer{ID: s.UserID, Name: s.BuyerName, Email: s.BuyerEmail}
	}
	return out
}

func toTotalsResponse(t payment.Totals) totalsResponse {
	return totalsResponse{
		Sales: t.Sales, Refunds: t.Refunds, GrossCents: t.GrossCents, RefundedCents: t.RefundedCents, NetCents: t.NetCents,
		Gross: decimal(t.GrossCents), Refunded: decimal(t.RefundedCents), Net: decimal(t.NetCents),
		DiscountCents: t.DiscountCents, PaidCents: t.PaidCents, Discount: decimal(t.DiscountCents), Paid: decimal(t.PaidCents),
	}
}

// salesFilter reads courseId, status, from, to, page and limit. from and
// to are RFC 3339 times or dates (YYYY-MM-DD, UTC); a date `to` includes
// its whole day.
func salesFilter(q url.Values) (payment.SalesFilter, error) {
	var f payment.SalesFilter
	var fields []apperr.FieldError
	if v := q.Get("courseId"); v != "" {
		if !validID(v) {
			fields = append(fields, apperr.FieldError{Field: "courseId", Message: "must be a course ID"})
		}
		f.CourseID = v
	}
	switch v := payment.Status(q.Get("status")); v {
	case "", payment.StatusCompleted, payment.StatusRefunded:
		f.Status = v
	default:
		fields = append(fields, apperr.FieldError{Field: "status", Message: "must be completed or refunded"})
	}
	f.From, f.To = readRange(q, &fields)
	page, limit, err := paging(q)
	if e, ok := apperr.As(err); ok {
		fields = append(fields, e.Fields...)
	}
	f.Page, f.Limit = page, limit
	return f, apperr.Validation(fields)
}

// readRange reads the from and to of a report (RFC 3339 times or dates,
// YYYY-MM-DD in UTC; a date `to` includes its whole day) and its format
// (json or csv), adding what is wrong to fields.
func readRange(q url.Values, fields *[]apperr.FieldError) (from, to time.Time) {
	for _, p := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &from, false}, {"to", &to, true}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := parseBound(v, p.end)
		if err != nil {
			*fields = append(*fields, apperr.FieldError{Field: p.name, Message: "must be a date (YYYY-MM-DD) or an RFC 3339 time"})
		}
		*p.dst = t
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		*fields = append(*fields, apperr.FieldError{Field: "from", Message: "must be before to"})
	}
	if v := q.Get("format"); v != "" && v != "json" && v != "csv" {
		*fields = append(*fields, apperr.FieldError{Field: "format", Message: "must be json or csv"})
	}
	return from, to
}

func parseBound(v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Parse(time.RFC3339, v)
}

func wantsCSV(r *http.Request) bool { return r.URL.Query().Get("format") == "csv" }

// sales lists the ledger: an instructor's own courses, or every course for
// an admin; ?format=csv streams every matching sale as CSV.
func (s *server) sales(w http.ResponseWriter, r *http.Request) error {
	f, err := salesFilter(r.URL.Query())
	if err != nil {
		return err
	}
	who, _ := caller(r)
	if wantsCSV(r) {
		return s.salesCSV(w, r, f)
	}
	p, err := s.payments.Sales(r.Context(), who, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: salesPage{Sales: saleResponses(p, true), Pagination: pageOf(p)}})
	return nil
}

func saleResponses(p *payment.SalesPage, withBuyer bool) []saleResponse {
	out := make([]saleResponse, len(p.Sales))
	for i := range p.Sales {
		out[i] = toSaleResponse(&p.Sales[i], withBuyer)
	}
	return out
}

func pageOf(p *payment.SalesPage) pagination {
	return pagination{Page: p.Page, Limit: p.Limit, Total: p.Total, Pages: (p.Total + int64(p.Limit) - 1) / int64(p.Limit)}
}

// salesHeader is the header row of the sales CSV.
var salesHeader = []string{"id", "createdAt", "completedAt", "refundedAt", "courseId", "courseTitle", "buyerId", "buyerName",
	"buyerEmail", "status", "currency", "grossCents", "refundedCents", "netCents", "gross", "refunded", "net",
	"discountCents", "paidCents", "discount", "paid", "couponCode"}

func (s *server) salesCSV(w http.ResponseWriter, r *http.Request, f payment.SalesFilter) error {
	who, _ := caller(r)
	cw := csv.NewWriter(w)
	started := false
	start := func() {
		if !started {
			started = true
			csvHeaders(w, "sales.csv")
			_ = cw.Write(salesHeader)
		}
	}
	err := s.payments.EachSale(r.Context(), who, f, func(sale payment.Sale) error {
		start()
		v := toSaleResponse(&sale, true)
		return cw.Write([]string{
			v.ID, csvTime(&v.CreatedAt), csvTime(v.CompletedAt), csvTime(v.RefundedAt), v.Course.ID, csvText(v.Course.Title),
			v.Buyer.ID, csvText(v.Buyer.Name), csvText(v.Buyer.Email), v.Status, v.Currency,
			strconv.FormatInt(v.GrossCents, 10), strconv.FormatInt(v.RefundedCents, 10), strconv.FormatInt(v.NetCents, 10),
			v.Gross, v.Refunded, v.Net,
			strconv.FormatInt(v.DiscountCents, 10), strconv.FormatInt(v.PaidCents, 10), v.Discount, v.Paid, v.CouponCode,
		})
	})
	if err != nil && !started {
		return err // nothing written yet: an ordinary error answer
	}
	if err != nil {
		s.logger.ErrorContext(r.Context(), "sales export cut short", "err", err)
		return nil
	}
	start()
	cw.Flush()
	return cw.Error()
}

func csvHeaders(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(http.StatusOK)
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvText keeps a spreadsheet from reading a title or name as a formula.
func csvText(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// salesSummary sums the ledger over a range, per course and per day.
func (s *server) salesSummary(w http.ResponseWriter, r *http.Request) error {
	f, err := salesFilter(r.URL.Query())
	if err != nil {
		return err
	}
	who, _ := caller(r)
	sum, err := s.payments.Summary(r.Context(), who, f)
	if err != nil {
		return err
	}
	out := summaryResponse{
		From: sum.From, To: sum.To, Currency: payment.Currency, Totals: toTotalsResponse(sum.Totals),
		ByCourse: make([]courseTotalsResponse, len(sum.ByCourse)), ByDay: make([]dayTotalsResponse, len(sum.ByDay)),
	}
	for i, c := range sum.ByCourse {
		out.ByCourse[i] = courseTotalsResponse{Course: saleCourse{ID: c.CourseID, Title: c.Title}, totalsResponse: toTotalsResponse(c.Totals)}
	}
	for i, d := range sum.ByDay {
		out.ByDay[i] = dayTotalsResponse{Day: d.Day, totalsResponse: toTotalsResponse(d.Totals)}
	}
	if sum.Unmatched != nil {
		u := toTotalsResponse(*sum.Unmatched)
		out.Unmatched = &u
	}
	if wantsCSV(r) {
		return summaryCSV(w, out)
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}

// summaryCSV writes a summary as rows: the total, then one per course,
// one per day, and the unmatched refunds (admins).
func summaryCSV(w http.ResponseWriter, sum summaryResponse) error {
	csvHeaders(w, "sales-summary.csv")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"group", "key", "title", "sales", "refunds", "grossCents", "refundedCents", "netCents", "gross", "refunded", "net",
		"discountCents", "paidCents", "discount", "paid"})
	row := func(group, key, title string, t totalsResponse) {
		_ = cw.Write([]string{group, key, csvText(title), strconv.FormatInt(t.Sales, 10), strconv.FormatInt(t.Refunds, 10),
			strconv.FormatInt(t.GrossCents, 10), strconv.FormatInt(t.RefundedCents, 10), strconv.FormatInt(t.NetCents, 10),
			t.Gross, t.Refunded, t.Net,
			strconv.FormatInt(t.DiscountCents, 10), strconv.FormatInt(t.PaidCents, 10), t.Discount, t.Paid})
	}
	row("total", sum.From.Format(time.RFC3339)+"/"+sum.To.Format(time.RFC3339), "", sum.Totals)
	for _, c := range sum.ByCourse {
		row("course", c.Course.ID, c.Course.Title, c.totalsResponse)
	}
	for _, d := range sum.ByDay {
		row("day", d.Day, "", d.totalsResponse)
	}
	if sum.Unmatched != nil {
		row("unmatched", "", "", *sum.Unmatched)
	}
	cw.Flush()
	return cw.Error()
}

// purchaseHistory lists the caller's own purchases, newest first.
func (s *server) purchaseHistory(w http.ResponseWriter, r *http.Request) error {
	page, limit, err := paging(r.URL.Query())
	if err != nil {
		return err
	}
	who, _ := caller(r)
	p, err := s.payments.History(r.Context(), who.UserID, page, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: historyPage{Purchases: saleResponses(p, false), Pagination: pageOf(p)}})
	return nil
}
