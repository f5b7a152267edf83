package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/insights"
	"github.com/lms-backend/lms/internal/payment"
)

type countsResponse struct {
	Total   int64 `json:"total"`
	Paid    int64 `json:"paid"`
	Free    int64 `json:"free"`
	Coupon  int64 `json:"coupon"`
	Refunds int64 `json:"refunds"`
}

type moneyResponse struct {
	GrossCents    int64  `json:"grossCents"`
	DiscountCents int64  `json:"discountCents"`
	RefundedCents int64  `json:"refundedCents"`
	NetCents      int64  `json:"netCents"`
	Gross         string `json:"gross"`
	Discount      string `json:"discount"`
	Refunded      string `json:"refunded"`
	Net           string `json:"net"`
}

type insightDayResponse struct {
	Day        string         `json:"day"`
	Enrolments countsResponse `json:"enrolments"`
	Revenue    moneyResponse  `json:"revenue"`
}

type couponStatsResponse struct {
	Code        string        `json:"code"`
	Redemptions int64         `json:"redemptions"`
	Revenue     moneyResponse `json:"revenue"`
}

type funnelResponse struct {
	Enrolled         int64   `json:"enrolled"`
	Started          int64   `json:"started"`
	Reached25        int64   `json:"reached25"`
	Reached50        int64   `json:"reached50"`
	Reached75        int64   `json:"reached75"`
	Completed        int64   `json:"completed"`
	MedianCompletion float64 `json:"medianCompletion"`
}

type lectureStatsResponse struct {
	ID        string `json:"_id"`
	Title     string `json:"title"`
	Completed int64  `json:"completed"`
}

type ratingResponse struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// insightsResponse is a course's insights. New sections are added as keys
// of their own; ratings only once the course has a visible review.
type insightsResponse struct {
	Course     saleCourse             `json:"course"`
	From       time.Time              `json:"from"`
	To         time.Time              `json:"to"`
	Currency   string                 `json:"currency"`
	Enrolments countsResponse         `json:"enrolments"`
	Revenue    moneyResponse          `json:"revenue"`
	ByDay      []insightDayResponse   `json:"byDay"`
	Funnel     funnelResponse         `json:"funnel"`
	Lectures   []lectureStatsResponse `json:"lectures"`
	Coupons    []couponStatsResponse  `json:"coupons"`
	Ratings    *ratingResponse        `json:"ratings,omitempty"`
}

func toCounts(c insights.Counts) countsResponse {
	return countsResponse{Total: c.Enrolments, Paid: c.Paid, Free: c.Free, Coupon: c.Coupon, Refunds: c.Refunds}
}

func toMoney(m insights.Money) moneyResponse {
	return moneyResponse{
		GrossCents: m.GrossCents, DiscountCents: m.DiscountCents, RefundedCents: m.RefundedCents, NetCents: m.NetCents,
		Gross: decimal(m.GrossCents), Discount: decimal(m.DiscountCents), Refunded: decimal(m.RefundedCents), Net: decimal(m.NetCents),
	}
}

func toInsightsResponse(r *insights.Report) insightsResponse {
	f := r.Funnel
	out := insightsResponse{
		Course: saleCourse{ID: r.CourseID, Title: r.Title}, From: r.From, To: r.To, Currency: payment.Currency,
		Enrolments: toCounts(r.Counts), Revenue: toMoney(r.Money),
		ByDay:    make([]insightDayResponse, len(r.ByDay)),
		Lectures: make([]lectureStatsResponse, len(r.Lectures)),
		Coupons:  make([]couponStatsResponse, len(r.Coupons)),
		Funnel: funnelResponse{Enrolled: f.Enrolled, Started: f.Started, Reached25: f.Reached25, Reached50: f.Reached50,
			Reached75: f.Reached75, Completed: f.Completed, MedianCompletion: f.MedianCompletion},
	}
	if r.Rating.Count > 0 {
		out.Ratings = &ratingResponse{Average: r.Rating.Average, Count: r.Rating.Count}
	}
	for i, d := range r.ByDay {
		out.ByDay[i] = insightDayResponse{Day: d.Day, Enrolments: toCounts(d.Counts), Revenue: toMoney(d.Money)}
	}
	for i, l := range r.Lectures {
		out.Lectures[i] = lectureStatsResponse{ID: l.ID, Title: l.Title, Completed: l.Completed}
	}
	for i, c := range r.Coupons {
		out.Coupons[i] = couponStatsResponse{Code: c.Code, Redemptions: c.Redemptions, Revenue: toMoney(c.Money)}
	}
	return out
}

// courseInsights answers a course's insights to its instructor or an admin;
// ?format=csv answers the per-day rows as CSV.
func (s *server) courseInsights(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	var fields []apperr.FieldError
	from, to := readRange(r.URL.Query(), &fields)
	if err := apperr.Validation(fields); err != nil {
		return err
	}
	who, _ := caller(r)
	rep, err := s.insights.Course(r.Context(), who, courseID, from, to)
	if err != nil {
		return err
	}
	out := toInsightsResponse(rep)
	if wantsCSV(r) {
		return insightsCSV(w, out)
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}

// insightsHeader is the header row of the insights CSV.
var insightsHeader = []string{"day", "enrolments", "paid", "free", "coupon", "refunds",
	"grossCents", "discountCents", "refundedCents", "netCents", "gross", "discount", "refunded", "net"}

// insightsCSV writes the per-day rows of a report.
func insightsCSV(w http.ResponseWriter, rep insightsResponse) error {
	csvHeaders(w, "insights-"+rep.Course.ID+".csv")
	cw := csv.NewWriter(w)
	_ = cw.Write(insightsHeader)
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, d := range rep.ByDay {
		c, m := d.Enrolments, d.Revenue
		_ = cw.Write([]string{d.Day, n(c.Total), n(c.Paid), n(c.Free), n(c.Coupon), n(c.Refunds),
			n(m.GrossCents), n(m.DiscountCents), n(m.RefundedCents), n(m.NetCents), m.Gross, m.Discount, m.Refunded, m.Net})
	}
	cw.Flush()
	return cw.Error()
}
