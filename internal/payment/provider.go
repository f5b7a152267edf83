package payment

import (
	"context"
	"time"
)

// Provider is what the payment service needs from a card processor (Stripe).
// Implementations translate their library's types into these.
type Provider interface {
	// CreateCheckoutSession opens a hosted checkout page for one purchase.
	CreateCheckoutSession(ctx context.Context, p CheckoutParams) (Session, error)
	// GetCheckoutSession reads a session's current state.
	GetCheckoutSession(ctx context.Context, id string) (Session, error)
	// ExpireCheckoutSession closes an open session, so that it can no
	// longer be paid. It fails when the session is not open.
	ExpireCheckoutSession(ctx context.Context, id string) error
	// ParseEvent verifies a webhook signature over the raw payload and decodes
	// the event. A bad or missing signature, a stale or future timestamp, or a
	// malformed payload is an apperr.Invalid error.
	ParseEvent(payload []byte, signatureHeader string) (Event, error)
}

// CheckoutParams describes the checkout session to open.
type CheckoutParams struct {
	PurchaseID     string
	CourseID       string
	UserID         string
	ProductName    string
	ImageURL       string // may be empty
	AmountCents    int64
	Currency       string // lowercase ISO code, e.g. "usd"
	SuccessURL     string
	CancelURL      string
	IdempotencyKey string
}

// Session states as Stripe reports them.
const (
	SessionOpen     = "open"
	SessionComplete = "complete"
	SessionExpired  = "expired"
)

// Payment states of a session as Stripe reports them.
const (
	PaymentPaid              = "paid"
	PaymentUnpaid            = "unpaid"
	PaymentNoPaymentRequired = "no_payment_required"
)

// Session is a checkout session.
type Session struct {
	ID            string
	URL           string
	Status        string // SessionOpen, SessionComplete or SessionExpired
	PaymentStatus string // PaymentPaid, PaymentUnpaid or PaymentNoPaymentRequired
	AmountTotal   int64  // in cents
	Currency      string
	ExpiresAt     time.Time
	Metadata      map[string]string
	// PaymentIntentID is the session's payment intent (pi_...), once it
	// has one.
	PaymentIntentID string
}

// Event is a verified webhook event, reduced to the fields we use.
type Event struct {
	ID   string // evt_...
	Type string // e.g. "checkout.session.completed", "charge.refunded"
	// ObjectID is the id of the event's object: a checkout session (cs_...)
	// for checkout.session.* events, a charge (ch_...) for charge.* events.
	ObjectID string
	// PaymentStatus is the session's payment status (checkout.session.* only).
	PaymentStatus string
	Amount        int64 // session amount_total or charge amount, in cents
	Currency      string
	Metadata      map[string]string
	// Refunded is true on charge.* events when the charge is fully refunded.
	Refunded bool
	// AmountRefunded is a charge's amount_refunded, in cents (charge.*
	// only): the sum of its refunds so far.
	AmountRefunded int64
	// PaymentIntentID is the payment intent of a charge or a session.
	PaymentIntentID string
}
