// Package payment sells courses: Stripe Checkout sessions, the webhook events
// that settle them, enrolment on payment, refunds, and the reconciliation of
// purchases whose webhook never arrived.
package payment

import (
	"math"
	"time"
)

// Status is where a purchase stands.
type Status string

// The statuses of a purchase.
const (
	StatusPending   Status = "pending"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusExpired   Status = "expired"
	StatusRefunded  Status = "refunded"
)

// Currency is the currency of every purchase (lowercase ISO code).
const Currency = "usd"

// Purchase is one attempt of a user to buy a course, or a free enrolment
// (amount 0, completed at once).
type Purchase struct {
	ID          string
	CourseID    string
	UserID      string
	Amount      float64 // in Currency units: AmountCents / 100, what was charged
	AmountCents int64   // what Stripe must charge: the list price less the discount
	// ListPriceCents is the course's price when the purchase was made and
	// DiscountCents what a coupon took off it (AmountCents = ListPriceCents
	// - DiscountCents); CouponID and CouponCode name that coupon. Without
	// a coupon the discount is 0 and the list price AmountCents.
	ListPriceCents int64
	DiscountCents  int64
	CouponID       string
	CouponCode     string
	Currency       string
	Status         Status
	// PaymentID is the Checkout Session id (cs_...); empty for free
	// enrolments and, briefly, while the session is being created.
	PaymentID  string
	SessionURL string
	// PaymentIntentID is the payment intent (pi_...) that paid the
	// session, recorded on completion; charges are matched by it first.
	// Empty for free enrolments and for purchases older than this field.
	PaymentIntentID string
	// RefundedCents is how much of AmountCents was refunded (a charge's
	// amount_refunded, which only grows); RefundedAt is when that was
	// last seen to grow.
	RefundedCents int64
	RefundedAt    time.Time
	// Flagged marks a purchase whose payment did not match it (amount,
	// currency or metadata); FlagReason says how. Such a payment is never
	// fulfilled automatically.
	Flagged     bool
	FlagReason  string
	CompletedAt time.Time // zero unless it ever completed
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// sold reports whether the purchase was paid (or redeemed at 100 % off):
// completed, or refunded since.
func (p *Purchase) sold() bool {
	return p.Status == StatusCompleted || p.Status == StatusRefunded
}

// PaidCents is the amount paid: AmountCents for a purchase that completed
// (refunded ones included), 0 otherwise.
func (p *Purchase) PaidCents() int64 {
	if !p.sold() {
		return 0
	}
	return p.AmountCents
}

// GrossCents is the list price of a sold purchase (PaidCents plus the
// discount), 0 for one never paid.
func (p *Purchase) GrossCents() int64 {
	if !p.sold() {
		return 0
	}
	return p.AmountCents + p.DiscountCents
}

// Discount is what a coupon took off a sold purchase, in cents.
func (p *Purchase) Discount() int64 {
	if !p.sold() {
		return 0
	}
	return p.DiscountCents
}

// AmountCents returns price in cents, rounded to the nearest cent.
func AmountCents(price float64) int64 {
	return int64(math.Round(price * 100))
}

// Outcome is what the processor reports about a purchase's money.
type Outcome int

// The outcomes the state machine knows.
const (
	OutcomePaid     Outcome = iota + 1 // the money arrived
	OutcomeFailed                      // a payment attempt failed
	OutcomeExpired                     // the checkout session expired unpaid
	OutcomeRefunded                    // the money was refunded in full
)

// String names the outcome for logs.
func (o Outcome) String() string {
	switch o {
	case OutcomePaid:
		return "paid"
	case OutcomeFailed:
		return "failed"
	case OutcomeExpired:
		return "expired"
	case OutcomeRefunded:
		return "refunded"
	}
	return "unknown"
}

// target is the status an outcome leads to.
func (o Outcome) target() (Status, bool) {
	switch o {
	case OutcomePaid:
		return StatusCompleted, true
	case OutcomeFailed:
		return StatusFailed, true
	case OutcomeExpired:
		return StatusExpired, true
	case OutcomeRefunded:
		return StatusRefunded, true
	}
	return "", false
}

// rank orders the statuses: a purchase only ever moves to a higher rank.
// failed < expired (a declined card and then an abandoned page end as
// expired, in either order), both < completed (money that arrives late still
// completes), and refunded is final.
func rank(s Status) int {
	switch s {
	case StatusPending:
		return 0
	case StatusFailed:
		return 1
	case StatusExpired:
		return 2
	case StatusCompleted:
		return 3
	case StatusRefunded:
		return 4
	}
	return -1
}

// Next returns the status a purchase in status from moves to when outcome o
// is reported, and whether it moves at all. Status only moves forward:
// pending → completed|failed|expired, failed → expired, failed/expired →
// completed when the money did arrive, and anything → refunded. Because a
// move always goes to a higher rank, the final status of a purchase is the
// highest one its outcomes lead to, whatever order they arrive in.
func Next(from Status, o Outcome) (Status, bool) {
	to, ok := o.target()
	if !ok || rank(from) < 0 || rank(to) <= rank(from) {
		return from, false
	}
	return to, true
}

// Sources returns the statuses from which outcome o moves a purchase: the
// condition of the conditional update that applies o.
func Sources(o Outcome) []Status {
	var out []Status
	for _, s := range []Status{StatusPending, StatusFailed, StatusExpired, StatusCompleted, StatusRefunded} {
		if _, ok := Next(s, o); ok {
			out = append(out, s)
		}
	}
	return out
}
