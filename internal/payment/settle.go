package payment

import (
	"context"
	"fmt"
	"strings"
)

// paid is what the processor says was charged.
type paid struct {
	AmountCents int64
	Currency    string
}

// settle applies outcome o to purchase p and brings the user's enrolment in
// line with the result. Every step is idempotent, so a retry after a failure
// anywhere completes the work without doing any of it twice. A payment that
// does not match the purchase (amount or currency) is flagged and applies
// nothing, and a purchase flagged before is never completed here: a later
// event or reconcile that looks right does not clear an operator's review.
func (s *Service) settle(ctx context.Context, p *Purchase, o Outcome, money *paid, source string) (*Purchase, error) {
	if o == OutcomePaid && money != nil {
		if reason := mismatch(p, *money); reason != "" {
			return s.flag(ctx, p, reason, source)
		}
	}
	if _, fulfils := Next(p.Status, o); fulfils && o == OutcomePaid && p.Flagged {
		s.d.Logger.WarnContext(ctx, "payment of a flagged purchase: held for review, not fulfilled",
			"purchase", p.ID, "user", p.UserID, "course", p.CourseID, "reason", p.FlagReason, "source", source)
		return p, nil
	}
	after, err := s.move(ctx, p, o, source)
	if err != nil {
		return nil, err
	}
	if err := s.syncAccess(ctx, after); err != nil {
		return nil, err
	}
	if err := s.syncCoupon(ctx, after); err != nil {
		return nil, err
	}
	return after, nil
}

// mismatch says how a payment differs from the purchase, "" when it matches.
func mismatch(p *Purchase, m paid) string {
	var diffs []string
	if m.AmountCents != p.AmountCents {
		diffs = append(diffs, fmt.Sprintf("amount %d, want %d", m.AmountCents, p.AmountCents))
	}
	if !strings.EqualFold(m.Currency, p.Currency) {
		diffs = append(diffs, fmt.Sprintf("currency %q, want %q", m.Currency, p.Currency))
	}
	return strings.Join(diffs, "; ")
}

// flag marks p for review and leaves everything else as it is.
func (s *Service) flag(ctx context.Context, p *Purchase, reason, source string) (*Purchase, error) {
	s.d.Logger.ErrorContext(ctx, "payment does not match its purchase: flagged, not fulfilled",
		"purchase", p.ID, "user", p.UserID, "course", p.CourseID, "reason", reason, "source", source)
	if err := s.d.Repo.Flag(ctx, p.ID, reason, s.now()); err != nil {
		return nil, fmt.Errorf("flag purchase %s: %w", p.ID, err)
	}
	flagged := *p
	flagged.Flagged, flagged.FlagReason = true, reason
	return &flagged, nil
}

// move applies outcome o to p's status when the state machine allows it, as
// a conditional update, and returns the purchase as it stands afterwards.
func (s *Service) move(ctx context.Context, p *Purchase, o Outcome, source string) (*Purchase, error) {
	to, ok := Next(p.Status, o)
	if !ok {
		// p's status can only have risen since it was read, so the stored
		// one does not move either.
		return p, nil
	}
	after, moved, err := s.d.Repo.Move(ctx, p.ID, Sources(o), to, s.now())
	if err != nil {
		return nil, fmt.Errorf("move purchase %s to %s: %w", p.ID, to, err)
	}
	if moved {
		s.d.Logger.InfoContext(ctx, "purchase status changed", "purchase", p.ID, "from", p.Status, "to", after.Status,
			"outcome", o.String(), "source", source)
	}
	return after, nil
}

// syncAccess makes the enrolment of p's user agree with p's status: a
// completed purchase enrols (and undoes a refund's revocation of the
// course's certificate and hiding of the buyer's review), a refunded one
// unenrols, revokes the certificate and hides the review unless another
// completed purchase of the course remains. The status is read again
// afterwards: an event that changed it in the meantime gets its turn.
func (s *Service) syncAccess(ctx context.Context, p *Purchase) error {
	for range maxSyncRounds {
		switch p.Status {
		case StatusCompleted:
			added, err := s.d.Enrolments.Enrol(ctx, p.UserID, p.CourseID)
			if err != nil {
				return err
			}
			if added {
				s.d.Logger.InfoContext(ctx, "enrolled", "purchase", p.ID, "user", p.UserID, "course", p.CourseID)
			}
			if s.d.Certificates != nil {
				if err := s.d.Certificates.ReinstatePurchased(ctx, p.UserID, p.CourseID); err != nil {
					return err
				}
			}
			if s.d.Reviews != nil {
				if err := s.d.Reviews.RestorePurchased(ctx, p.UserID, p.CourseID); err != nil {
					return err
				}
			}
		case StatusRefunded:
			other, err := s.d.Repo.HasCompleted(ctx, p.UserID, p.CourseID)
			if err != nil {
				return fmt.Errorf("check purchases: %w", err)
			}
			if other {
				break
			}
			removed, err := s.d.Enrolments.Unenrol(ctx, p.UserID, p.CourseID)
			if err != nil {
				return err
			}
			if removed {
				s.d.Logger.InfoContext(ctx, "unenrolled after refund", "purchase", p.ID, "user", p.UserID, "course", p.CourseID)
			}
			// Every time, not only when it unenrolled: a retry after a
			// failure here must still revoke.
			if s.d.Certificates != nil {
				if err := s.d.Certificates.RevokeRefunded(ctx, p.UserID, p.CourseID); err != nil {
					return err
				}
			}
			if s.d.Reviews != nil {
				if err := s.d.Reviews.HideRefunded(ctx, p.UserID, p.CourseID); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		now, err := s.d.Repo.ByID(ctx, p.ID)
		if err != nil {
			return fmt.Errorf("read purchase %s: %w", p.ID, err)
		}
		if now.Status == p.Status {
			return nil
		}
		p = now
	}
	return nil
}

// settleSession applies what a Checkout Session says about its purchase: a
// complete, paid session completes it, an expired one expires it; an open
// session (or one whose delayed payment is still on its way) changes nothing.
func (s *Service) settleSession(ctx context.Context, p *Purchase, sess Session, source string) (*Purchase, error) {
	switch {
	case sess.Status == SessionComplete && (sess.PaymentStatus == PaymentPaid || sess.PaymentStatus == PaymentNoPaymentRequired):
		return s.settle(ctx, p, OutcomePaid, &paid{AmountCents: sess.AmountTotal, Currency: sess.Currency}, source)
	case sess.Status == SessionExpired:
		return s.settle(ctx, p, OutcomeExpired, nil, source)
	}
	return p, nil
}
