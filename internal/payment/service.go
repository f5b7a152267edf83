package payment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/clock"
)

// Errors of payments; the repository reports the last two.
var (
	ErrNotConfigured     = apperr.New(apperr.Unavailable, "payments_not_configured", "Payments are not configured")
	ErrOwnCourse         = apperr.New(apperr.Invalid, "own_course", "You cannot buy your own course")
	ErrAlreadyOwned      = apperr.New(apperr.Conflict, "already_owned", "You already own this course")
	ErrCheckoutFailed    = apperr.New(apperr.Upstream, "checkout_failed", "Error while creating Stripe checkout session")
	ErrCheckoutBusy      = apperr.New(apperr.Conflict, "checkout_busy", "A checkout for this course is already being opened; try again in a moment")
	ErrPaymentProcessing = apperr.New(apperr.Conflict, "payment_processing", "A payment for this course is still being processed")
	ErrEventBusy         = apperr.New(apperr.Conflict, "event_busy", "Event is being processed")
	ErrPurchaseNotFound  = apperr.New(apperr.NotFound, "purchase_not_found", "purchase not found")
	ErrPendingExists     = apperr.New(apperr.Conflict, "pending_purchase_exists", "a pending purchase of this course exists")
)

const checkoutIdemKeyPrefix = "checkout-"

// Timing of the use cases; the zero values of Deps.Timing get these.
const (
	// DefaultSessionReuse is how long after its creation a pending
	// purchase's Checkout Session is handed out again instead of opening a
	// new one. Stripe's sessions live 24 h; an hour of margin keeps a
	// customer from getting a page about to die.
	DefaultSessionReuse = 23 * time.Hour
	// DefaultUnstartedAfter is how long a pending purchase may wait for its
	// session before it counts as abandoned (its request died before Stripe
	// answered, so nobody ever saw a payment page for it). It exceeds the
	// longest a Stripe call can take with its retry.
	DefaultUnstartedAfter = 2 * time.Minute
	// DefaultEventLease is how long a webhook delivery owns an event before
	// another delivery may take it over.
	DefaultEventLease = time.Minute
	// DefaultBusyWait bounds how long a delivery waits for another one of
	// the same event, or a click for another click's session.
	DefaultBusyWait = 10 * time.Second
	// DefaultAnswerWithin is how long a webhook delivery waits for its
	// event to be applied before it answers 200 anyway (the event is
	// recorded; applying it goes on, and SettleStale finishes it should
	// this process fail). Stripe gives up on endpoints slower than a few
	// seconds.
	DefaultAnswerWithin = 300 * time.Millisecond
	// DefaultReconcileAfter is the age from which reconcile asks Stripe
	// about a pending purchase.
	DefaultReconcileAfter = time.Hour

	pollInterval     = 25 * time.Millisecond
	reconcileBatch   = 100
	backfillPerRun   = 200
	maxCheckoutTries = 4
	maxSyncRounds    = 3
)

// Timing tunes the waits of a Service (tests shorten them).
type Timing struct {
	SessionReuse   time.Duration
	UnstartedAfter time.Duration
	EventLease     time.Duration
	BusyWait       time.Duration
	AnswerWithin   time.Duration
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo   Repository
	Events EventLog
	// Unmatched keeps refunds no purchase could be found for.
	Unmatched UnmatchedRefunds
	// Directory names courses and buyers in the ledger.
	Directory  Directory
	Enrolments Enrolments
	Catalog    Catalog
	// Coupons prices purchases with a coupon code and keeps the codes'
	// redemptions; nil refuses every code as unknown.
	Coupons Coupons
	// Certificates revokes the certificate of a course whose purchase was
	// refunded in full, and reinstates it when the course is bought
	// again; nil does neither (a service without certificates, as in this
	// package's tests).
	Certificates Certificates
	// Reviews hides the buyer's review on a full refund and shows it
	// again on a new purchase; nil does neither.
	Reviews Reviews
	// Provider is the card processor; nil when payments are not
	// configured, which makes paid checkouts, webhooks and reconcile
	// answer apperr.Unavailable (free enrolment still works).
	Provider   Provider
	SuccessURL string
	CancelURL  string
	// ImageURL turns a stored thumbnail key into a public URL for the
	// checkout page; nil sends no image.
	ImageURL func(key string) string
	Logger   *slog.Logger
	Now      func() time.Time // time.Now when nil
	Timing   Timing
}

// maxSettling bounds the webhook events applied at once, so that a burst of
// deliveries does not stampede the database ahead of their own records.
const maxSettling = 4

// Service runs checkout, webhook events, reads and reconciliation.
type Service struct {
	d         Deps
	settling  chan struct{} // a token per event being applied
	unmatched atomic.Int64
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	t := &d.Timing
	t.SessionReuse = orDefault(t.SessionReuse, DefaultSessionReuse)
	t.UnstartedAfter = orDefault(t.UnstartedAfter, DefaultUnstartedAfter)
	t.EventLease = orDefault(t.EventLease, DefaultEventLease)
	t.BusyWait = orDefault(t.BusyWait, DefaultBusyWait)
	t.AnswerWithin = orDefault(t.AnswerWithin, DefaultAnswerWithin)
	return &Service{d: d, settling: make(chan struct{}, maxSettling)}
}

// Configured reports whether a card processor is configured.
func (s *Service) Configured() bool { return s.d.Provider != nil }

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// detached returns a context that outlives ctx's cancellation, for the
// clean-up and bookkeeping writes that must happen even when the client
// went away.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// sleep waits d or until ctx ends, reporting whether it waited the whole d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
