package httpapi

import (
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/coupon"
	"github.com/lms-backend/lms/internal/payment"
)

// errCouponRateLimited answers a client over its budget of coupon
// attempts (quotes and checkouts with a code).
var errCouponRateLimited = apperr.New(apperr.TooManyRequests, "coupon_rate_limited", "Too many coupon attempts from this IP, please try later")

// couponResponse is a coupon as its owner sees it. An amount coupon's
// value is in currency units (10.5), a percent coupon's a whole percentage.
type couponResponse struct {
	ID             string     `json:"_id"`
	Code           string     `json:"code"`
	Kind           string     `json:"kind"`
	Value          float64    `json:"value"`
	CourseIDs      []string   `json:"courseIds"`
	Site           bool       `json:"site"`
	StartsAt       *time.Time `json:"startsAt"`
	ExpiresAt      *time.Time `json:"expiresAt"`
	MaxRedemptions *int64     `json:"maxRedemptions"`
	PerUserLimit   int64      `json:"perUserLimit"`
	Active         bool       `json:"active"`
	Used           int64      `json:"used"`
	Redeemed       int64      `json:"redeemed"`
	CreatedAt      time.Time  `json:"createdAt"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

type couponList struct {
	Coupons []couponResponse `json:"coupons"`
}

type deletedData struct {
	ID string `json:"_id"`
}

// quoteCoupon names the coupon a quote applied.
type quoteCoupon struct {
	Code  string  `json:"code"`
	Kind  string  `json:"kind"`
	Value float64 `json:"value"`
}

type quoteResponse struct {
	ListPriceCents int64        `json:"listPriceCents"`
	DiscountCents  int64        `json:"discountCents"`
	TotalCents     int64        `json:"totalCents"`
	ListPrice      string       `json:"listPrice"`
	Discount       string       `json:"discount"`
	Total          string       `json:"total"`
	Currency       string       `json:"currency"`
	Coupon         *quoteCoupon `json:"coupon"`
}

// couponValue is a coupon's value as clients write it.
func couponValue(c *coupon.Coupon) float64 {
	if c.Kind == coupon.KindAmount {
		return float64(c.Value) / 100
	}
	return float64(c.Value)
}

func toCouponResponse(c *coupon.Coupon) couponResponse {
	out := couponResponse{
		ID: c.ID, Code: c.Code, Kind: string(c.Kind), Value: couponValue(c), CourseIDs: c.CourseIDs, Site: c.Site,
		StartsAt: optionalTime(c.StartsAt), ExpiresAt: optionalTime(c.ExpiresAt), PerUserLimit: c.PerUserLimit,
		Active: c.Active, Used: c.Used, Redeemed: c.Redeemed, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
	if c.MaxRedemptions > 0 {
		m := c.MaxRedemptions
		out.MaxRedemptions = &m
	}
	return out
}

// createCoupon creates a coupon of the caller (an instructor for their
// courses, an admin for any).
func (s *server) createCoupon(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Code           string     `json:"code"`
		Kind           string     `json:"kind"`
		Value          float64    `json:"value"`
		CourseIDs      []string   `json:"courseIds"`
		StartsAt       *time.Time `json:"startsAt"`
		ExpiresAt      *time.Time `json:"expiresAt"`
		MaxRedemptions *int64     `json:"maxRedemptions"`
		PerUserLimit   *int64     `json:"perUserLimit"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	for _, id := range req.CourseIDs {
		if !validID(id) {
			return apperr.Validation([]apperr.FieldError{{Field: "courseIds", Message: "must be course ids"}})
		}
	}
	id, _ := caller(r)
	c, err := s.coupons.Create(r.Context(), id, coupon.Draft{
		Code: req.Code, Kind: req.Kind, Value: req.Value, CourseIDs: req.CourseIDs, StartsAt: req.StartsAt,
		ExpiresAt: req.ExpiresAt, MaxRedemptions: req.MaxRedemptions, PerUserLimit: req.PerUserLimit,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, dataResponse{Success: true, Message: "Coupon created", Data: toCouponResponse(c)})
	return nil
}

// listCoupons lists the caller's coupons, newest first.
func (s *server) listCoupons(w http.ResponseWriter, r *http.Request) error {
	id, _ := caller(r)
	cs, err := s.coupons.List(r.Context(), id)
	if err != nil {
		return err
	}
	out := couponList{Coupons: make([]couponResponse, len(cs))}
	for i := range cs {
		out.Coupons[i] = toCouponResponse(&cs[i])
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}

// updateCoupon deactivates, reactivates or extends a coupon.
func (s *server) updateCoupon(w http.ResponseWriter, r *http.Request) error {
	couponID, err := pathID(r, "couponId", "coupon")
	if err != nil {
		return err
	}
	var req struct {
		Active         *bool      `json:"active"`
		ExpiresAt      *time.Time `json:"expiresAt"`
		MaxRedemptions *int64     `json:"maxRedemptions"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, _ := caller(r)
	c, err := s.coupons.Update(r.Context(), id, couponID, coupon.Changes{
		Active: req.Active, ExpiresAt: req.ExpiresAt, MaxRedemptions: req.MaxRedemptions,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Coupon updated", Data: toCouponResponse(c)})
	return nil
}

// deleteCoupon deletes a coupon that was never used, and deactivates a
// used one.
func (s *server) deleteCoupon(w http.ResponseWriter, r *http.Request) error {
	couponID, err := pathID(r, "couponId", "coupon")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	c, err := s.coupons.Delete(r.Context(), id, couponID)
	if err != nil {
		return err
	}
	if c != nil {
		writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Coupon deactivated: it has been used", Data: toCouponResponse(c)})
		return nil
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Coupon deleted", Data: deletedData{ID: couponID}})
	return nil
}

// priceRequest is the body of a quote and a checkout.
type priceRequest struct {
	CourseID   string `json:"courseId"`
	CouponCode string `json:"couponCode"`
}

// readPriceRequest decodes and checks a quote or checkout body. A quote,
// and a checkout with a code, count one coupon attempt of the client
// against its budget; over it, readPriceRequest answers 429 itself and
// reports answered (the limiter's headers appear only on its own 429).
func (s *server) readPriceRequest(w http.ResponseWriter, r *http.Request, quote bool) (req priceRequest, answered bool, err error) {
	if err := decodeJSON(r, &req); err != nil {
		return req, false, err
	}
	if err := checkCourseID(req.CourseID); err != nil {
		return req, false, err
	}
	if !quote && req.CouponCode == "" {
		return req, false, nil
	}
	return req, s.couponLimiter.RespondOnLimit(&headersOnAnswer{ResponseWriter: w, header: http.Header{}}, r, s.clientKey(r)), nil
}

// quote prices a course for the caller, with a coupon code if given.
func (s *server) quote(w http.ResponseWriter, r *http.Request) error {
	req, answered, err := s.readPriceRequest(w, r, true)
	if err != nil || answered {
		return err
	}
	id, _ := caller(r)
	p, err := s.payments.Quote(r.Context(), id, req.CourseID, req.CouponCode)
	if err != nil {
		return err
	}
	out := quoteResponse{
		ListPriceCents: p.ListCents, DiscountCents: p.DiscountCents, TotalCents: p.TotalCents,
		ListPrice: decimal(p.ListCents), Discount: decimal(p.DiscountCents), Total: decimal(p.TotalCents),
		Currency: payment.Currency,
	}
	if p.Coupon != nil {
		out.Coupon = &quoteCoupon{Code: p.Coupon.Code, Kind: string(p.Coupon.Kind), Value: couponValue(p.Coupon)}
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: out})
	return nil
}

// checkCourseID validates the courseId of a payments body.
func checkCourseID(id string) error {
	if id == "" {
		return apperr.Validation([]apperr.FieldError{{Field: "courseId", Message: "Course ID is required"}})
	}
	if !validID(id) {
		return apperr.New(apperr.Invalid, "invalid_id", "Invalid course ID")
	}
	return nil
}
