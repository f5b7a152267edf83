package payment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// UnmatchedRefund is a refund of a charge that no purchase could be found
// for. It is kept so that the ledger accounts for every refund, and counted
// in the lms_unmatched_refunds_total metric.
type UnmatchedRefund struct {
	ChargeID        string
	PaymentIntentID string
	EventID         string // the latest event that reported it
	AmountCents     int64  // the charge's amount
	RefundedCents   int64  // its amount_refunded, the highest seen
	Currency        string
	Metadata        map[string]string
	FirstSeen       time.Time
	UpdatedAt       time.Time
}

// purchaseOf finds the purchase an event is about, trying in order: the
// Checkout Session id (checkout.session.* events), the payment intent (the
// one recorded when the purchase completed), metadata.purchaseId, and
// metadata.userId with metadata.courseId (the newest purchase of the pair:
// charges of purchases migrated from the Node API carry only these).
func (s *Service) purchaseOf(ctx context.Context, ev Event) (*Purchase, error) {
	type lookup struct {
		what string
		find func() (*Purchase, error)
	}
	var steps []lookup
	if strings.HasPrefix(ev.Type, "checkout.session.") && ev.ObjectID != "" {
		steps = append(steps, lookup{"session " + ev.ObjectID, func() (*Purchase, error) { return s.d.Repo.BySession(ctx, ev.ObjectID) }})
	}
	if pi := ev.PaymentIntentID; pi != "" {
		steps = append(steps, lookup{"payment intent " + pi, func() (*Purchase, error) { return s.d.Repo.ByPaymentIntent(ctx, pi) }})
	}
	if id := ev.Metadata[MetadataPurchaseID]; id != "" {
		steps = append(steps, lookup{"purchase " + id, func() (*Purchase, error) { return s.d.Repo.ByID(ctx, id) }})
	}
	if u, c := ev.Metadata[MetadataUserID], ev.Metadata[MetadataCourseID]; u != "" && c != "" {
		steps = append(steps, lookup{"user " + u + " and course " + c, func() (*Purchase, error) { return s.d.Repo.Latest(ctx, u, c) }})
	}
	for _, step := range steps {
		p, err := step.find()
		if err == nil {
			return p, nil
		}
		if !apperr.Is(err, apperr.NotFound) {
			return nil, fmt.Errorf("find purchase of %s: %w", step.what, err)
		}
	}
	return nil, ErrPurchaseNotFound
}

// refundOf is the amount refunded a charge event reports, in cents; 0 for
// other events.
func refundOf(ev Event) int64 {
	if !strings.HasPrefix(ev.Type, "charge.") {
		return 0
	}
	return ev.AmountRefunded
}

// notePaymentIntent records on p the payment intent an event names, once:
// later charges are matched by it.
func (s *Service) notePaymentIntent(ctx context.Context, p *Purchase, pi string) error {
	if pi == "" || p.PaymentIntentID != "" {
		return nil
	}
	if err := s.d.Repo.SetPaymentIntent(ctx, p.ID, pi, s.now()); err != nil {
		return fmt.Errorf("record payment intent of purchase %s: %w", p.ID, err)
	}
	p.PaymentIntentID = pi
	return nil
}

// noteRefund records the amount refunded a charge event reports. A partial
// refund changes nothing else (the buyer keeps the course); a full one is
// also the outcome OutcomeRefunded, applied by settle.
func (s *Service) noteRefund(ctx context.Context, p *Purchase, ev Event) error {
	cents := min(refundOf(ev), p.AmountCents)
	if cents <= p.RefundedCents {
		return nil
	}
	raised, err := s.d.Repo.RaiseRefunded(ctx, p.ID, cents, s.now())
	if err != nil {
		return fmt.Errorf("record refund of purchase %s: %w", p.ID, err)
	}
	if raised {
		s.d.Logger.InfoContext(ctx, "refund recorded", "purchase", p.ID, "refunded_cents", cents,
			"amount_cents", p.AmountCents, "event", ev.ID)
	}
	p.RefundedCents = cents
	return nil
}

// keepUnmatched stores a refund whose purchase cannot be found and reports
// it: money left and nothing in the ledger says whose it was.
func (s *Service) keepUnmatched(ctx context.Context, ev Event) error {
	now := s.now()
	u := UnmatchedRefund{
		ChargeID: ev.ObjectID, PaymentIntentID: ev.PaymentIntentID, EventID: ev.ID,
		AmountCents: ev.Amount, RefundedCents: ev.AmountRefunded, Currency: ev.Currency,
		Metadata: ev.Metadata, FirstSeen: now, UpdatedAt: now,
	}
	if u.ChargeID == "" {
		u.ChargeID = "event:" + ev.ID
	}
	if err := s.d.Unmatched.Record(ctx, u); err != nil {
		return fmt.Errorf("record unmatched refund of %s: %w", u.ChargeID, err)
	}
	s.unmatched.Add(1)
	s.d.Logger.ErrorContext(ctx, "refund for no known purchase: kept as unmatched", "event", ev.ID,
		"charge", ev.ObjectID, "payment_intent", ev.PaymentIntentID, "refunded_cents", ev.AmountRefunded,
		"user", ev.Metadata[MetadataUserID], "course", ev.Metadata[MetadataCourseID],
		"purchase", ev.Metadata[MetadataPurchaseID])
	return nil
}

// UnmatchedRefundsSeen is how many refund events for no known purchase this
// process has kept (the lms_unmatched_refunds_total metric).
func (s *Service) UnmatchedRefundsSeen() int64 { return s.unmatched.Load() }

// closeFailedSession expires the Checkout Session of a purchase whose
// payment failed, so that it cannot be paid next to the session a retry
// opens. A session Stripe will not expire because it is no longer open
// (paid meanwhile, or expired) is fine: its own event settles it.
func (s *Service) closeFailedSession(ctx context.Context, p *Purchase) error {
	if p.PaymentID == "" {
		return nil
	}
	err := s.d.Provider.ExpireCheckoutSession(ctx, p.PaymentID)
	if err == nil {
		s.d.Logger.InfoContext(ctx, "checkout session of a failed purchase expired", "purchase", p.ID, "session", p.PaymentID)
		return nil
	}
	sess, gerr := s.d.Provider.GetCheckoutSession(ctx, p.PaymentID)
	if gerr == nil && sess.Status != SessionOpen {
		return nil
	}
	return fmt.Errorf("expire checkout session %s of failed purchase %s: %w", p.PaymentID, p.ID, err)
}
