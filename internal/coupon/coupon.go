// Package coupon holds discount codes: who may create them for which
// courses, the rules a code must pass to apply, the discount it gives, and
// its redemptions, which are reserved, made final and released with
// conditional single-document updates so that limits hold under
// concurrency.
package coupon

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// Kind is how a coupon discounts.
type Kind string

// The kinds of coupon.
const (
	KindPercent Kind = "percent" // Value is a percentage, 1–100
	KindAmount  Kind = "amount"  // Value is an amount in cents
)

// Limits of a coupon.
const (
	MaxPerUserLimit = 1000
	MaxCourses      = 100
	// MinChargeCents is Stripe's minimum charge: a discount never leaves
	// a total between 0 and this (it is reduced to leave exactly this).
	MinChargeCents = 50
	// MaxAmountCents bounds an amount coupon: the highest price a course
	// may have (1,000,000), so that no value overflows its cents.
	MaxAmountCents = 100_000_000
)

// Why a code does not apply (400s the SPA shows as they are).
var (
	ErrUnknown       = apperr.New(apperr.Invalid, "coupon_unknown", "This coupon code does not exist")
	ErrInactive      = apperr.New(apperr.Invalid, "coupon_inactive", "This coupon is no longer active")
	ErrExpired       = apperr.New(apperr.Invalid, "coupon_expired", "This coupon has expired")
	ErrNotStarted    = apperr.New(apperr.Invalid, "coupon_not_started", "This coupon is not valid yet")
	ErrUsedUp        = apperr.New(apperr.Invalid, "coupon_used_up", "This coupon has been used up")
	ErrNotApplicable = apperr.New(apperr.Invalid, "coupon_not_applicable", "This coupon does not apply to this course")
	ErrAlreadyUsed   = apperr.New(apperr.Invalid, "coupon_already_used", "You have already used this coupon")
)

// Errors of managing coupons.
var (
	ErrNotFound  = apperr.New(apperr.NotFound, "coupon_not_found", "Coupon not found")
	ErrCodeTaken = apperr.New(apperr.Conflict, "coupon_code_taken", "You already have a coupon with this code")
	// ErrUsed tells the service that a coupon to delete has been used, so
	// it is deactivated instead.
	ErrUsed = errors.New("coupon used")
)

// Coupon is a discount code of an instructor (for their courses) or of an
// admin (for any course; Site is set).
type Coupon struct {
	ID      string
	Code    string // upper case
	OwnerID string
	// Site marks an admin's coupon: without CourseIDs it applies to every
	// course; an instructor's applies only to their own courses.
	Site      bool
	Kind      Kind
	Value     int64    // percent, or cents
	CourseIDs []string // empty: every course of the owner (Site: every course)
	StartsAt  time.Time
	ExpiresAt time.Time // zero: never
	// MaxRedemptions bounds Used (0: no bound); PerUserLimit bounds one
	// user's share of it.
	MaxRedemptions int64
	PerUserLimit   int64
	Active         bool
	// Used counts redemptions reserved by open checkouts and final ones;
	// Redeemed only the final ones (paid, or 100 % off).
	Used      int64
	Redeemed  int64
	UserUses  map[string]int64 // Used by user id
	CreatedAt time.Time
	UpdatedAt time.Time
}

// codePattern is the shape of a code (before it is upper-cased).
var codePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{3,32}$`)

// NormalizeCode returns the stored form of a code and whether it has the
// shape of one. Codes compare case-insensitively.
func NormalizeCode(code string) (string, bool) {
	if !codePattern.MatchString(code) {
		return "", false
	}
	return strings.ToUpper(code), true
}

// AppliesTo reports whether the coupon may discount a course of the given
// instructor (before dates and limits are looked at).
func (c *Coupon) AppliesTo(courseID, instructorID string) bool {
	if !c.Site && c.OwnerID != instructorID {
		return false
	}
	return len(c.CourseIDs) == 0 || slices.Contains(c.CourseIDs, courseID)
}

// Usable checks the coupon's state at now: active, started, not expired.
// Its limits are checked by Available.
func (c *Coupon) Usable(now time.Time) error {
	switch {
	case !c.Active:
		return ErrInactive
	case !c.StartsAt.IsZero() && now.Before(c.StartsAt):
		return ErrNotStarted
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		return ErrExpired
	}
	return nil
}

// Available checks that the coupon has a use left for userID: neither all
// its uses nor the user's own share are taken. held is how many of those
// uses are the very checkout being priced again (a reservation of the
// user's pending purchase of this course): they do not count.
func (c *Coupon) Available(userID string, held int64) error {
	switch {
	case c.MaxRedemptions > 0 && c.Used-held >= c.MaxRedemptions:
		return ErrUsedUp
	case c.UserUses[userID]-held >= c.PerUserLimit:
		return ErrAlreadyUsed
	}
	return nil
}

// Discount is the discount in cents the coupon gives on a list price in
// cents: never more than the price, and never leaving a total below
// MinChargeCents other than 0.
func (c *Coupon) Discount(listCents int64) int64 {
	var d int64
	switch c.Kind {
	case KindPercent:
		d = (listCents*c.Value + 50) / 100 // rounded half up
	case KindAmount:
		d = c.Value
	}
	d = min(max(d, 0), listCents)
	if total := listCents - d; total > 0 && total < MinChargeCents {
		d = max(listCents-MinChargeCents, 0)
	}
	return d
}
