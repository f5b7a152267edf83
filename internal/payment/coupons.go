package payment

import (
	"context"
	"fmt"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/coupon"
	"github.com/lms-backend/lms/internal/course"
)

// Coupons finds coupons and keeps their redemptions (coupon.Service).
// Reserve, Release and Finalize are idempotent per purchase.
type Coupons interface {
	// Find returns the coupon a code names for a course, usable now, or
	// why it does not apply.
	Find(ctx context.Context, code, courseID, instructorID string) (*coupon.Coupon, error)
	Reserve(ctx context.Context, c *coupon.Coupon, purchaseID, userID string) error
	Release(ctx context.Context, couponID, purchaseID, userID string) error
	Finalize(ctx context.Context, couponID, purchaseID, userID string) error
}

// Price is what a course costs a buyer, with or without a coupon. The
// server computes it for the quote and again for the checkout; the
// Checkout Session charges TotalCents.
type Price struct {
	ListCents     int64
	DiscountCents int64
	TotalCents    int64
	Coupon        *coupon.Coupon // nil without a code
}

// couponID is the price's coupon's id, "" without one.
func (p *Price) couponID() string {
	if p.Coupon == nil {
		return ""
	}
	return p.Coupon.ID
}

// Quote prices a course for the caller, with a coupon code when code is
// not empty: the numbers the SPA shows before it redirects to Stripe, and
// exactly what the checkout will charge. A code that does not apply is a
// 400 saying why.
func (s *Service) Quote(ctx context.Context, v course.Viewer, courseID, code string) (*Price, error) {
	c, err := s.buyable(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	return s.price(ctx, v.UserID, c, code)
}

// buyable returns a course the viewer may buy: published and not theirs.
// It is read as of now (course.Fresh), never from the course cache: a price
// change or an unpublish made on another instance reaches that cache only
// after its TTL, and a purchase must be priced and checked on the course as
// it is.
func (s *Service) buyable(ctx context.Context, v course.Viewer, courseID string) (*course.Course, error) {
	c, err := s.d.Catalog.Visible(course.Fresh(ctx), v, courseID)
	if err != nil {
		return nil, err
	}
	if !c.IsPublished {
		return nil, course.ErrCourseNotFound
	}
	if c.InstructorID == v.UserID {
		return nil, ErrOwnCourse
	}
	return c, nil
}

// price computes the price of course c for userID with code. A reservation
// the user's pending purchase of this course holds on the same coupon does
// not count against their limit: it is this very checkout, priced again.
func (s *Service) price(ctx context.Context, userID string, c *course.Course, code string) (*Price, error) {
	list := AmountCents(c.Price)
	p := &Price{ListCents: list, TotalCents: list}
	if code == "" || list <= 0 {
		return p, nil
	}
	if s.d.Coupons == nil {
		return nil, coupon.ErrUnknown
	}
	cp, err := s.d.Coupons.Find(ctx, code, c.ID, c.InstructorID)
	if err != nil {
		return nil, err
	}
	var held int64
	pending, err := s.d.Repo.Pending(ctx, userID, c.ID)
	switch {
	case err == nil && pending.CouponID == cp.ID:
		held = 1
	case err != nil && !apperr.Is(err, apperr.NotFound):
		return nil, fmt.Errorf("find pending purchase: %w", err)
	}
	if err := cp.Available(userID, held); err != nil {
		return nil, err
	}
	p.Coupon, p.DiscountCents = cp, cp.Discount(list)
	p.TotalCents = list - p.DiscountCents
	return p, nil
}

// syncCoupon makes the redemption of p's coupon follow p's status: final
// once paid (a refund keeps it), released once the purchase failed or
// expired. Both steps are idempotent, so every settlement may call it.
func (s *Service) syncCoupon(ctx context.Context, p *Purchase) error {
	if p.CouponID == "" || s.d.Coupons == nil {
		return nil
	}
	var err error
	switch p.Status {
	case StatusCompleted, StatusRefunded:
		err = s.d.Coupons.Finalize(ctx, p.CouponID, p.ID, p.UserID)
	case StatusFailed, StatusExpired:
		err = s.d.Coupons.Release(ctx, p.CouponID, p.ID, p.UserID)
	}
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return fmt.Errorf("coupon redemption of purchase %s: %w", p.ID, err)
	}
	return nil
}

// releaseDropped releases the reservation of a pending purchase that was
// deleted before anyone could pay it.
func (s *Service) releaseDropped(ctx context.Context, p *Purchase) {
	if p.CouponID == "" || s.d.Coupons == nil {
		return
	}
	if err := s.d.Coupons.Release(ctx, p.CouponID, p.ID, p.UserID); err != nil && !apperr.Is(err, apperr.NotFound) {
		s.d.Logger.ErrorContext(ctx, "release the coupon of a dropped purchase", "purchase", p.ID, "coupon", p.CouponID, "err", err)
	}
}
