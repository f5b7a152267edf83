package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// CheckoutResult is the answer of Checkout: either the caller is enrolled
// now (a free course) or they are to pay on Session.
type CheckoutResult struct {
	Enrolled bool
	Session  *Session
}

// Checkout starts buying a course, with a coupon when code is not empty. A
// free course enrols at once. For a paid one it opens a Stripe Checkout
// Session for a new pending purchase, or hands out the session of the
// caller's still-open purchase of the course at the same price, so that two
// clicks open one session. The price comes from the database and the
// coupon, never from the client; a coupon's use is reserved before the
// session opens, and a total of 0 (100 % off) enrols without Stripe.
func (s *Service) Checkout(ctx context.Context, v course.Viewer, courseID, code string) (*CheckoutResult, error) {
	c, err := s.buyable(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if err := s.refuseOwned(ctx, v.UserID, c.ID); err != nil {
		return nil, err
	}
	pr, err := s.price(ctx, v.UserID, c, code)
	if err != nil {
		return nil, err
	}
	if pr.ListCents <= 0 {
		return s.enrolFree(ctx, v.UserID, c)
	}
	if s.d.Provider == nil && pr.TotalCents > 0 {
		return nil, ErrNotConfigured
	}
	for range maxCheckoutTries {
		res, retry, err := s.checkoutOnce(ctx, v.UserID, c, pr)
		if !retry {
			return res, err
		}
	}
	return nil, ErrCheckoutBusy
}

// refuseOwned answers 409 when the user owns the course. A completed
// purchase whose enrolment is missing (a write that failed after it) gets
// its enrolment first.
func (s *Service) refuseOwned(ctx context.Context, userID, courseID string) error {
	enrolled, err := s.d.Enrolments.IsEnrolled(ctx, userID, courseID)
	if err != nil {
		return err
	}
	if enrolled {
		return ErrAlreadyOwned
	}
	bought, err := s.d.Repo.HasCompleted(ctx, userID, courseID)
	if err != nil {
		return fmt.Errorf("check purchases: %w", err)
	}
	if !bought {
		return nil
	}
	if _, err := s.d.Enrolments.Enrol(ctx, userID, courseID); err != nil {
		return fmt.Errorf("restore enrolment: %w", err)
	}
	return ErrAlreadyOwned
}

// enrolFree records a completed purchase of amount 0, so that every read
// treats free and paid courses alike, and enrols the user.
func (s *Service) enrolFree(ctx context.Context, userID string, c *course.Course) (*CheckoutResult, error) {
	now := s.now()
	p := &Purchase{
		CourseID: c.ID, UserID: userID, Currency: Currency, Status: StatusCompleted,
		CompletedAt: now, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.d.Repo.Create(ctx, p); err != nil {
		return nil, fmt.Errorf("record free enrolment: %w", err)
	}
	if _, err := s.d.Enrolments.Enrol(ctx, userID, c.ID); err != nil {
		return nil, err
	}
	return &CheckoutResult{Enrolled: true}, nil
}

// checkoutOnce makes one attempt; retry asks for another after it found the
// state changed under it (a concurrent click, a superseded session).
func (s *Service) checkoutOnce(ctx context.Context, userID string, c *course.Course, pr *Price) (res *CheckoutResult, retry bool, err error) {
	open, err := s.d.Repo.Pending(ctx, userID, c.ID)
	switch {
	case err == nil:
		return s.reuse(ctx, open, pr)
	case !apperr.Is(err, apperr.NotFound):
		return nil, false, fmt.Errorf("find pending purchase: %w", err)
	}

	now := s.now()
	cents := pr.TotalCents
	p := &Purchase{
		CourseID: c.ID, UserID: userID, Amount: float64(cents) / 100, AmountCents: cents, Currency: Currency,
		ListPriceCents: pr.ListCents, DiscountCents: pr.DiscountCents, CouponID: pr.couponID(),
		Status: StatusPending, CreatedAt: now, UpdatedAt: now,
	}
	if pr.Coupon != nil {
		p.CouponCode = pr.Coupon.Code
	}
	if err := s.d.Repo.Create(ctx, p); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return nil, true, nil // another click created one first
		}
		return nil, false, fmt.Errorf("create purchase: %w", err)
	}
	if pr.Coupon != nil {
		if err := s.d.Coupons.Reserve(ctx, pr.Coupon, p.ID, userID); err != nil {
			s.dropUnstarted(ctx, p)
			return nil, false, err
		}
	}
	if cents == 0 {
		// 100 % off: paid in full by the coupon, like a free course.
		if _, err := s.settle(ctx, p, OutcomePaid, nil, "coupon"); err != nil {
			return nil, false, err
		}
		s.d.Logger.InfoContext(ctx, "enrolled with a 100% coupon", "purchase", p.ID, "course", c.ID, "user", userID, "coupon", p.CouponID)
		return &CheckoutResult{Enrolled: true}, false, nil
	}
	params := CheckoutParams{
		PurchaseID: p.ID, CourseID: c.ID, UserID: userID,
		ProductName: c.Title, AmountCents: cents, Currency: Currency,
		SuccessURL: s.d.SuccessURL, CancelURL: s.d.CancelURL,
		IdempotencyKey: checkoutIdemKeyPrefix + p.ID,
	}
	if s.d.ImageURL != nil {
		params.ImageURL = s.d.ImageURL(c.Thumbnail)
	}
	sess, err := s.d.Provider.CreateCheckoutSession(ctx, params)
	if err != nil {
		s.dropUnstarted(ctx, p)
		return nil, false, ErrCheckoutFailed.Wrap(err)
	}
	if sess.ID == "" || sess.URL == "" {
		s.dropUnstarted(ctx, p)
		return nil, false, ErrCheckoutFailed.Wrap(errors.New("stripe returned a session without id or url"))
	}
	bctx, cancel := detached(ctx)
	defer cancel()
	if err := s.d.Repo.AttachSession(bctx, p.ID, sess, s.now()); err != nil {
		return nil, false, fmt.Errorf("store session %s of purchase %s: %w", sess.ID, p.ID, err)
	}
	s.d.Logger.InfoContext(ctx, "checkout session opened", "purchase", p.ID, "session", sess.ID, "course", c.ID, "user", userID, "amount_cents", cents)
	return &CheckoutResult{Session: &sess}, false, nil
}

// dropUnstarted deletes a pending purchase whose session could not be
// opened, and releases its coupon: nobody can pay for it, so it must not
// linger as pending.
func (s *Service) dropUnstarted(ctx context.Context, p *Purchase) {
	bctx, cancel := detached(ctx)
	defer cancel()
	err := s.d.Repo.DeleteUnstarted(bctx, p.ID)
	switch {
	case err == nil:
		s.releaseDropped(bctx, p)
	case !apperr.Is(err, apperr.NotFound):
		s.d.Logger.ErrorContext(ctx, "delete purchase of a failed checkout", "purchase", p.ID, "err", err)
	}
}

// reuse answers a click that found a pending purchase of the same course.
func (s *Service) reuse(ctx context.Context, p *Purchase, pr *Price) (*CheckoutResult, bool, error) {
	now := s.now()
	if p.PaymentID == "" {
		// Another request is still opening its session (or enrolling
		// with a 100 % coupon).
		if now.Sub(p.CreatedAt) > s.d.Timing.UnstartedAfter {
			s.dropUnstarted(ctx, p)
			return nil, true, nil
		}
		return s.awaitSession(ctx, p.ID, pr)
	}
	samePrice := p.AmountCents == pr.TotalCents && p.CouponID == pr.couponID()
	if samePrice && now.Sub(p.CreatedAt) < s.d.Timing.SessionReuse && p.SessionURL != "" {
		return &CheckoutResult{Session: &Session{ID: p.PaymentID, URL: p.SessionURL, Status: SessionOpen}}, false, nil
	}
	if s.d.Provider == nil {
		return nil, false, ErrNotConfigured
	}
	// Too old to hand out, or at another price (another coupon): settle
	// it from what Stripe knows, and close it if it is still open, so
	// that a new one may be opened.
	sess, err := s.d.Provider.GetCheckoutSession(ctx, p.PaymentID)
	if err != nil {
		return nil, false, ErrCheckoutFailed.Wrap(err)
	}
	after, err := s.settleSession(ctx, p, sess, "checkout")
	if err != nil {
		return nil, false, err
	}
	switch {
	case after.Status == StatusCompleted:
		return nil, false, ErrAlreadyOwned
	case after.Status == StatusPending && sess.Status == SessionComplete:
		// Paid by a delayed method (a bank debit) whose outcome is not
		// known yet: a second session could be paid twice.
		return nil, false, ErrPaymentProcessing
	case after.Status == StatusPending:
		// Close it at Stripe first: left open, it could still be paid next
		// to the new one. Should it have been paid just now, Stripe refuses,
		// and the next click finds it paid.
		if err := s.d.Provider.ExpireCheckoutSession(ctx, p.PaymentID); err != nil {
			return nil, false, ErrCheckoutFailed.Wrap(err)
		}
		superseded, err := s.move(ctx, after, OutcomeExpired, "superseded by a new checkout")
		if err != nil {
			return nil, false, err
		}
		if err := s.syncCoupon(ctx, superseded); err != nil {
			return nil, false, err
		}
	}
	return nil, true, nil
}

// awaitSession waits for the concurrent request that created purchase id to
// store its session, and hands that session out when it is at price pr.
func (s *Service) awaitSession(ctx context.Context, id string, pr *Price) (*CheckoutResult, bool, error) {
	wctx, cancel := context.WithTimeout(ctx, s.d.Timing.BusyWait)
	defer cancel()
	for sleep(wctx, pollInterval) {
		p, err := s.d.Repo.ByID(wctx, id)
		if apperr.Is(err, apperr.NotFound) {
			return nil, true, nil // its checkout failed: try on our own
		}
		if err != nil {
			return nil, false, fmt.Errorf("read purchase: %w", err)
		}
		switch {
		case p.Status == StatusCompleted:
			return nil, false, ErrAlreadyOwned // a 100 % coupon enrolled it
		case p.Status != StatusPending:
			return nil, true, nil
		case p.PaymentID != "" && (p.AmountCents != pr.TotalCents || p.CouponID != pr.couponID()):
			return nil, true, nil // at another price: reuse supersedes it
		case p.PaymentID != "":
			return &CheckoutResult{Session: &Session{ID: p.PaymentID, URL: p.SessionURL, Status: SessionOpen}}, false, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	return nil, false, ErrCheckoutBusy
}
