package payment

import (
	"context"
	"fmt"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// ReconcileReport sums up one run of Reconcile.
type ReconcileReport struct {
	Checked   int // pending purchases looked at
	Completed int // paid: completed and enrolled
	Expired   int // their session expired unpaid
	StillOpen int // their session is still open (or its payment on its way)
	Flagged   int // paid, but not what the purchase says: left for review
	Abandoned int // never got a session: deleted
	Errors    int // could not be checked now (logged); the next run retries
	// PaymentIntents counts paid purchases whose payment intent was read
	// from their session at Stripe and recorded (see backfillIntents).
	PaymentIntents int
}

// String is the one-line summary the command prints.
func (r ReconcileReport) String() string {
	return fmt.Sprintf("checked %d pending purchases: %d completed, %d expired, %d still open, %d flagged, %d abandoned, %d errors",
		r.Checked, r.Completed, r.Expired, r.StillOpen, r.Flagged, r.Abandoned, r.Errors)
}

// Reconcile asks Stripe about every purchase pending for longer than
// olderThan (DefaultReconcileAfter when zero) and applies what it learns with
// the same transitions as the webhook, so a lost webhook never loses a sale.
// It is safe to run repeatedly and alongside the webhook. A purchase that
// cannot be checked is counted in Errors and left for the next run; the
// returned error is for failures that stop the whole run.
func (s *Service) Reconcile(ctx context.Context, olderThan time.Duration) (ReconcileReport, error) {
	var r ReconcileReport
	if s.d.Provider == nil {
		return r, ErrNotConfigured
	}
	if olderThan <= 0 {
		olderThan = DefaultReconcileAfter
	}
	cutoff := s.now().Add(-olderThan)
	after := ""
	for {
		batch, err := s.d.Repo.PendingBefore(ctx, cutoff, after, reconcileBatch)
		if err != nil {
			return r, fmt.Errorf("find pending purchases: %w", err)
		}
		for i := range batch {
			after = batch[i].ID
			r.Checked++
			s.reconcileOne(ctx, &batch[i], &r)
			if err := ctx.Err(); err != nil {
				return r, err
			}
		}
		if len(batch) < reconcileBatch {
			break
		}
	}
	return r, s.backfillIntents(ctx, &r)
}

// backfillIntents records the payment intent of up to backfillPerRun paid
// purchases that completed before it was recorded, reading each session at
// Stripe, so that their later charges (a refund from the Dashboard) are
// matched by payment intent too. The next run goes on where this one
// stopped.
func (s *Service) backfillIntents(ctx context.Context, r *ReconcileReport) error {
	batch, err := s.d.Repo.WithoutPaymentIntent(ctx, "", backfillPerRun)
	if err != nil {
		return fmt.Errorf("find purchases without a payment intent: %w", err)
	}
	for i := range batch {
		p := &batch[i]
		sess, err := s.d.Provider.GetCheckoutSession(ctx, p.PaymentID)
		if err == nil {
			// Stored even when empty (a session Stripe reports without
			// one): the purchase is not asked about again.
			err = s.d.Repo.SetPaymentIntent(ctx, p.ID, sess.PaymentIntentID, s.now())
		}
		switch {
		case err != nil:
			r.Errors++
			s.d.Logger.ErrorContext(ctx, "reconcile: record payment intent", "purchase", p.ID, "session", p.PaymentID, "err", err)
		case sess.PaymentIntentID != "":
			r.PaymentIntents++
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if r.PaymentIntents > 0 {
		s.d.Logger.InfoContext(ctx, "reconcile: recorded payment intents of earlier purchases", "count", r.PaymentIntents)
	}
	return nil
}

func (s *Service) reconcileOne(ctx context.Context, p *Purchase, r *ReconcileReport) {
	log := s.d.Logger.With("purchase", p.ID, "session", p.PaymentID)
	if p.PaymentID == "" {
		err := s.d.Repo.DeleteUnstarted(ctx, p.ID)
		switch {
		case err == nil:
			s.releaseDropped(ctx, p)
			r.Abandoned++
			log.InfoContext(ctx, "reconcile: deleted a purchase that never got a session")
		case apperr.Is(err, apperr.NotFound): // it got one meanwhile
			r.StillOpen++
		default:
			r.Errors++
			log.ErrorContext(ctx, "reconcile: delete abandoned purchase", "err", err)
		}
		return
	}
	sess, err := s.d.Provider.GetCheckoutSession(ctx, p.PaymentID)
	if err != nil {
		r.Errors++
		log.ErrorContext(ctx, "reconcile: read checkout session", "err", err)
		return
	}
	after, err := s.settleSession(ctx, p, sess, "reconcile")
	if err == nil && after.Status == StatusCompleted {
		// Later charges of this purchase are matched by its payment intent.
		err = s.notePaymentIntent(ctx, after, sess.PaymentIntentID)
	}
	if err != nil {
		r.Errors++
		log.ErrorContext(ctx, "reconcile: settle purchase", "err", err)
		return
	}
	switch {
	case after.Flagged && after.Status == StatusPending:
		r.Flagged++
	case after.Status == StatusCompleted:
		r.Completed++
	case after.Status == StatusExpired:
		r.Expired++
	case after.Status == StatusPending:
		r.StillOpen++
	default: // settled by a webhook meanwhile (failed, refunded)
		log.InfoContext(ctx, "reconcile: purchase settled meanwhile", "status", after.Status)
	}
}
