package payment

import (
	"context"
	"time"

	"github.com/lms-backend/lms/internal/course"
)

// Repository stores purchases. Missing purchases are apperr.NotFound errors.
type Repository interface {
	// Create inserts p and sets its ID. At most one pending purchase may
	// exist per user and course: a second one is an apperr.Conflict.
	Create(ctx context.Context, p *Purchase) error
	ByID(ctx context.Context, id string) (*Purchase, error)
	// BySession finds the purchase of a Checkout Session.
	BySession(ctx context.Context, sessionID string) (*Purchase, error)
	// Pending returns the pending purchase of a user and course.
	Pending(ctx context.Context, userID, courseID string) (*Purchase, error)
	// AttachSession stores the session of a pending purchase that has none
	// yet; NotFound when there is no such purchase.
	AttachSession(ctx context.Context, id string, s Session, now time.Time) error
	// DeleteUnstarted deletes a pending purchase that has no session: one
	// whose checkout never reached the customer. NotFound when there is none.
	DeleteUnstarted(ctx context.Context, id string) error
	// Move sets the status of purchase id to `to` if it is one of from, in
	// one conditional update, and returns the purchase as it is afterwards
	// and whether it moved.
	Move(ctx context.Context, id string, from []Status, to Status, now time.Time) (*Purchase, bool, error)
	// Flag marks a purchase for review, with the reason.
	Flag(ctx context.Context, id, reason string, now time.Time) error
	// HasCompleted reports whether the user has a completed purchase of the
	// course.
	HasCompleted(ctx context.Context, userID, courseID string) (bool, error)
	// Completed returns the user's completed purchases, newest first.
	Completed(ctx context.Context, userID string) ([]Purchase, error)
	// PendingBefore returns up to limit purchases pending since before
	// `before`, with ids greater than afterID (empty: from the start), by id.
	PendingBefore(ctx context.Context, before time.Time, afterID string, limit int) ([]Purchase, error)

	// ByPaymentIntent finds the purchase paid by a payment intent.
	ByPaymentIntent(ctx context.Context, paymentIntentID string) (*Purchase, error)
	// Latest returns the newest purchase of a user and course.
	Latest(ctx context.Context, userID, courseID string) (*Purchase, error)
	// WithoutPaymentIntent returns up to limit paid (completed or refunded)
	// purchases that have a Checkout Session and were never given a
	// payment intent (not even an empty one), with ids greater than
	// afterID, by id.
	WithoutPaymentIntent(ctx context.Context, afterID string, limit int) ([]Purchase, error)
	// SetPaymentIntent records the payment intent that paid a purchase.
	SetPaymentIntent(ctx context.Context, id, paymentIntentID string, now time.Time) error
	// RaiseRefunded sets a purchase's RefundedCents to cents when that is
	// more than it has (amount_refunded only grows, so an older event
	// arriving late changes nothing), and reports whether it did.
	RaiseRefunded(ctx context.Context, id string, cents int64, now time.Time) (bool, error)
	// Sales returns one page of the purchases q selects, newest first, and
	// their total.
	Sales(ctx context.Context, q SalesQuery) ([]Purchase, int64, error)
	// SalesAfter returns up to limit purchases q selects (its page is
	// ignored) with ids greater than afterID, by id: for reading them all
	// in bounded batches.
	SalesAfter(ctx context.Context, q SalesQuery, afterID string, limit int) ([]Purchase, error)
}

// UnmatchedRefunds keeps the refunds of charges no purchase could be found
// for, one record per charge, so that the ledger never drops money.
type UnmatchedRefunds interface {
	// Record stores or updates the record of r.ChargeID, keeping the
	// highest AmountRefunded seen.
	Record(ctx context.Context, r UnmatchedRefund) error
	// Between returns the records first seen in [from, to).
	Between(ctx context.Context, from, to time.Time) ([]UnmatchedRefund, error)
}

// Directory names the courses and people of the ledger.
type Directory interface {
	// CourseTitles returns the titles of these courses, by id.
	CourseTitles(ctx context.Context, ids []string) (map[string]string, error)
	// CoursesOf returns the titles of an instructor's courses (drafts
	// included), by id.
	CoursesOf(ctx context.Context, instructorID string) (map[string]string, error)
	// People returns the names and emails of these users, by id.
	People(ctx context.Context, ids []string) (map[string]Person, error)
}

// Claim is the answer of EventLog.Claim.
type Claim int

// The answers of EventLog.Claim.
const (
	ClaimAcquired Claim = iota + 1 // process the event now
	ClaimDone                      // the event was processed before
	ClaimBusy                      // another delivery is processing it now
)

// EventLog records which webhook events were processed, so that each is
// applied at most once (a unique index on the event id).
type EventLog interface {
	// Claim records that this process starts on event ev, keeping ev, with
	// a lease that another delivery (or SettleStale) may take over once it
	// runs out (a process that died mid-way). token identifies this claim
	// for Finish and Release.
	Claim(ctx context.Context, ev Event, token string, now time.Time, lease time.Duration) (Claim, error)
	// Finish marks a claimed event processed, for good.
	Finish(ctx context.Context, id, token string, now time.Time) error
	// Release gives a claim up after a failure, so that the next delivery
	// processes the event again; cause is kept for operators.
	Release(ctx context.Context, id, token, cause string) error
	// Prune deletes the records of events processed before `before` and
	// returns how many it deleted; records still being processed (leased
	// or released) stay.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Stale returns up to limit events claimed but not processed whose
	// lease ran out by now (released after a failure, or held by a process
	// that died), as Claim kept them.
	Stale(ctx context.Context, now time.Time, limit int) ([]Event, error)
}

// Enrolments is who may study which course (enrolment.Service): payments
// enrol on completion and unenrol on refund.
type Enrolments interface {
	// Enrol enrols the user unless they are; it reports whether it did.
	Enrol(ctx context.Context, userID, courseID string) (bool, error)
	// Unenrol is Enrol's inverse.
	Unenrol(ctx context.Context, userID, courseID string) (bool, error)
	IsEnrolled(ctx context.Context, userID, courseID string) (bool, error)
}

// Catalog is what payments need of the course catalog (course.Service).
type Catalog interface {
	// Visible returns a course the viewer may see (NotFound otherwise).
	Visible(ctx context.Context, v course.Viewer, courseID string) (*course.Course, error)
	// Detail returns a course page with gated lectures.
	Detail(ctx context.Context, v course.Viewer, courseID string) (*course.Detail, error)
	// Listed returns course cards in the order of ids, skipping missing ones.
	Listed(ctx context.Context, ids []string) ([]course.Listed, error)
}

// Certificates makes a course's certificate follow the money
// (certificate.Service): a full refund revokes it, a later purchase undoes
// that revocation. Both must be idempotent: a retried settlement calls
// them again.
type Certificates interface {
	RevokeRefunded(ctx context.Context, userID, courseID string) error
	ReinstatePurchased(ctx context.Context, userID, courseID string) error
}

// Reviews makes the buyer's review of a course follow the money
// (review.Service): a full refund hides it and takes it out of the rating
// summary, a later purchase shows it again. Both must be idempotent.
type Reviews interface {
	HideRefunded(ctx context.Context, userID, courseID string) error
	RestorePurchased(ctx context.Context, userID, courseID string) error
}
