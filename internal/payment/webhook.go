package payment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// Metadata keys the service puts on every Checkout Session and its payment
// intent (the stripe package sends these constants), so that every event
// leads back to its purchase.
const (
	MetadataPurchaseID = "purchaseId"
	MetadataCourseID   = "courseId"
	MetadataUserID     = "userId"
)

// Event types the service acts on.
const (
	EventSessionCompleted    = "checkout.session.completed"
	EventSessionAsyncSuccess = "checkout.session.async_payment_succeeded"
	EventSessionAsyncFailure = "checkout.session.async_payment_failed"
	EventSessionExpired      = "checkout.session.expired"
	EventChargeSucceeded     = "charge.succeeded"
	EventChargeFailed        = "charge.failed"
	EventChargeRefunded      = "charge.refunded"
)

// outcomeOf says what an event means for its purchase; false for events
// that change nothing: other types, a completed session whose delayed
// payment is still on its way, a partial refund.
func outcomeOf(ev Event) (o Outcome, money *paid, ok bool) {
	m := &paid{AmountCents: ev.Amount, Currency: ev.Currency}
	switch ev.Type {
	case EventSessionCompleted:
		if ev.PaymentStatus == PaymentPaid || ev.PaymentStatus == PaymentNoPaymentRequired {
			return OutcomePaid, m, true
		}
	case EventSessionAsyncSuccess, EventChargeSucceeded:
		return OutcomePaid, m, true
	case EventSessionAsyncFailure, EventChargeFailed:
		return OutcomeFailed, nil, true
	case EventSessionExpired:
		return OutcomeExpired, nil, true
	case EventChargeRefunded:
		if ev.Refunded {
			return OutcomeRefunded, nil, true
		}
	}
	return 0, nil, false
}

// HandleEvent verifies and applies one webhook delivery. A bad signature or
// payload is apperr.Invalid and writes nothing. Each event id is applied at
// most once: a delivery of an event already processed returns nil at once.
// The event is recorded with its claim before it is applied; when applying
// it takes longer than Timing.AnswerWithin from the delivery's arrival,
// HandleEvent returns nil while
// the work goes on (SettleStale finishes it should it fail), so that Stripe
// hears back in time. A failure within that time returns an Internal error
// and leaves the event to the next delivery, which completes the work
// (every step is idempotent).
func (s *Service) HandleEvent(ctx context.Context, payload []byte, signature string) error {
	if s.d.Provider == nil {
		return ErrNotConfigured
	}
	answerBy := time.Now().Add(s.d.Timing.AnswerWithin)
	ev, err := s.d.Provider.ParseEvent(payload, signature)
	if err != nil {
		return err
	}
	if _, _, ok := outcomeOf(ev); !ok {
		s.d.Logger.DebugContext(ctx, "webhook event ignored", "event", ev.ID, "type", ev.Type)
		return nil
	}
	token := newToken()
	acquired, err := s.claim(ctx, ev, token)
	if err != nil || !acquired {
		return err
	}
	// The work runs on its own context, bounded by the lease, so that it
	// may outlive this delivery but never overlap a take-over.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.Timing.EventLease)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		select {
		case s.settling <- struct{}{}:
			defer func() { <-s.settling }()
		case <-wctx.Done():
			// Never started: the lease runs out and SettleStale takes it.
			done <- fmt.Errorf("process event %s: %w", ev.ID, wctx.Err())
			return
		}
		done <- s.process(wctx, ev, token)
	}()
	// The budget counts from the delivery's arrival: a claim that queued
	// behind a burst leaves less time to wait.
	answer := time.NewTimer(max(time.Until(answerBy), 0))
	defer answer.Stop()
	select {
	case err := <-done:
		return err
	case <-answer.C:
		s.d.Logger.InfoContext(ctx, "webhook event recorded; applying it goes on after the answer", "event", ev.ID, "type", ev.Type)
		return nil
	}
}

// process applies a claimed event and marks it processed; on failure it
// releases the claim for the next delivery or SettleStale.
func (s *Service) process(ctx context.Context, ev Event, token string) error {
	o, money, _ := outcomeOf(ev)
	if err := s.applyEvent(ctx, ev, o, money); err != nil {
		s.release(ctx, ev, token, err)
		return fmt.Errorf("process event %s (%s): %w", ev.ID, ev.Type, err)
	}
	if err := s.d.Events.Finish(ctx, ev.ID, token, s.now()); err != nil {
		// Applied but not recorded: the redelivery applies it again, which
		// changes nothing.
		s.release(ctx, ev, token, err)
		return fmt.Errorf("record event %s: %w", ev.ID, err)
	}
	return nil
}

// staleBatch is how many stale events one SettleStale pass takes on.
const staleBatch = 100

// SettleStale applies the recorded events whose processing failed or whose
// process died after the delivery was answered: those whose claim was
// released or whose lease ran out. It returns how many it settled; the
// first error stops it (the next pass retries). Run it every few minutes:
// with it, every event Stripe was told was received is applied at least
// once.
func (s *Service) SettleStale(ctx context.Context) (int, error) {
	events, err := s.d.Events.Stale(ctx, s.now(), staleBatch)
	if err != nil {
		return 0, fmt.Errorf("find stale webhook events: %w", err)
	}
	settled := 0
	for _, ev := range events {
		token := newToken()
		c, err := s.d.Events.Claim(ctx, ev, token, s.now(), s.d.Timing.EventLease)
		if err != nil {
			return settled, fmt.Errorf("claim event %s: %w", ev.ID, err)
		}
		if c != ClaimAcquired {
			continue // taken by a delivery meanwhile, or done
		}
		wctx, cancel := context.WithTimeout(ctx, s.d.Timing.EventLease)
		err = s.process(wctx, ev, token)
		cancel()
		if err != nil {
			return settled, err
		}
		s.d.Logger.InfoContext(ctx, "stale webhook event settled", "event", ev.ID, "type", ev.Type)
		settled++
	}
	return settled, nil
}

// release gives up this delivery's claim on ev after cause, so that the
// next delivery need not wait for the lease to run out. If that fails too,
// the lease runs out on its own.
func (s *Service) release(ctx context.Context, ev Event, token string, cause error) {
	bctx, cancel := detached(ctx)
	defer cancel()
	if err := s.d.Events.Release(bctx, ev.ID, token, cause.Error()); err != nil {
		s.d.Logger.ErrorContext(ctx, "release webhook event", "event", ev.ID, "err", err)
	}
}

// claim takes event ev for this delivery. It returns false (and no error)
// when the event was processed already. While another delivery holds it, it
// waits for that one to finish, or to give up (then it takes over), for at
// most BusyWait.
func (s *Service) claim(ctx context.Context, ev Event, token string) (bool, error) {
	wctx, cancel := context.WithTimeout(ctx, s.d.Timing.BusyWait)
	defer cancel()
	for {
		c, err := s.d.Events.Claim(ctx, ev, token, s.now(), s.d.Timing.EventLease)
		if err != nil {
			return false, fmt.Errorf("claim event %s: %w", ev.ID, err)
		}
		switch c {
		case ClaimAcquired:
			return true, nil
		case ClaimDone:
			s.d.Logger.DebugContext(ctx, "webhook event already processed", "event", ev.ID, "type", ev.Type)
			return false, nil
		}
		if !sleep(wctx, pollInterval) {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			return false, ErrEventBusy
		}
	}
}

// applyEvent finds the event's purchase and settles it.
func (s *Service) applyEvent(ctx context.Context, ev Event, o Outcome, money *paid) error {
	p, err := s.purchaseOf(ctx, ev)
	if apperr.Is(err, apperr.NotFound) {
		s.d.Logger.WarnContext(ctx, "webhook event for no known purchase", "event", ev.ID, "type", ev.Type,
			"object", ev.ObjectID, "purchase", ev.Metadata[MetadataPurchaseID])
		return nil
	}
	if err != nil {
		return err
	}
	if reason := metadataMismatch(p, ev.Metadata); reason != "" {
		_, err := s.flag(ctx, p, reason, ev.Type)
		return err
	}
	_, err = s.settle(ctx, p, o, money, ev.Type)
	return err
}

// purchaseOf finds the purchase an event is about: by Checkout Session id
// for checkout.session.* events, then by the purchase id in its metadata
// (charges carry it through the payment intent).
func (s *Service) purchaseOf(ctx context.Context, ev Event) (*Purchase, error) {
	if strings.HasPrefix(ev.Type, "checkout.session.") && ev.ObjectID != "" {
		p, err := s.d.Repo.BySession(ctx, ev.ObjectID)
		if err == nil {
			return p, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return nil, fmt.Errorf("find purchase of session %s: %w", ev.ObjectID, err)
		}
	}
	id := ev.Metadata[MetadataPurchaseID]
	if id == "" {
		return nil, ErrPurchaseNotFound
	}
	p, err := s.d.Repo.ByID(ctx, id)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return nil, fmt.Errorf("find purchase %s: %w", id, err)
	}
	return p, err
}

// metadataMismatch says how an event's metadata contradicts the purchase it
// names, "" when it does not.
func metadataMismatch(p *Purchase, meta map[string]string) string {
	var diffs []string
	if u := meta[MetadataUserID]; u != "" && u != p.UserID {
		diffs = append(diffs, fmt.Sprintf("metadata userId %q, want %q", u, p.UserID))
	}
	if c := meta[MetadataCourseID]; c != "" && c != p.CourseID {
		diffs = append(diffs, fmt.Sprintf("metadata courseId %q, want %q", c, p.CourseID))
	}
	return strings.Join(diffs, "; ")
}
