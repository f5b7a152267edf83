package coupon

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
)

// Repository stores coupons. Missing coupons are ErrNotFound.
type Repository interface {
	// Create inserts c and sets its ID; a second coupon of one owner with
	// the same code is ErrCodeTaken.
	Create(ctx context.Context, c *Coupon) error
	ByID(ctx context.Context, id string) (*Coupon, error)
	// ByCode returns every coupon with this (normalised) code, of any owner.
	ByCode(ctx context.Context, code string) ([]Coupon, error)
	// ByOwner returns an owner's coupons, newest first.
	ByOwner(ctx context.Context, ownerID string) ([]Coupon, error)
	// Update applies ch in one conditional update (a new MaxRedemptions
	// only while Used does not exceed it) and returns the coupon after
	// it, and whether it applied.
	Update(ctx context.Context, id string, ch Changes, now time.Time) (*Coupon, bool, error)
	// Delete deletes a coupon that was never used (nothing reserved or
	// redeemed); ErrUsed otherwise.
	Delete(ctx context.Context, id string) error
	// Reserve counts one use of c by userID for purchaseID, in one
	// conditional update that holds only while c is active, its limits are
	// those of c and neither Used nor the user's uses reach them. It
	// reports whether it counted.
	Reserve(ctx context.Context, c *Coupon, purchaseID, userID string, now time.Time) (bool, error)
	// Release takes back the reservation of purchaseID, if it holds one.
	Release(ctx context.Context, id, purchaseID, userID string, now time.Time) error
	// Finalize makes the reservation of purchaseID final; a purchase whose
	// reservation was released (paid after its session expired) is counted
	// anew; a final one is left as it is.
	Finalize(ctx context.Context, id, purchaseID, userID string, now time.Time) error
}

// Catalog is what coupons need of the course catalog (course.Service).
type Catalog interface {
	Visible(ctx context.Context, v course.Viewer, courseID string) (*course.Course, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo    Repository
	Catalog Catalog
	Now     func() time.Time // time.Now when nil
}

// Service manages coupons and their redemptions.
type Service struct{ d Deps }

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// Draft is a coupon to create, as the client sent it. Nil fields take their
// defaults.
type Draft struct {
	Code           string
	Kind           string
	Value          float64 // percent, or an amount in currency units
	CourseIDs      []string
	StartsAt       *time.Time
	ExpiresAt      *time.Time
	MaxRedemptions *int64
	PerUserLimit   *int64
}

// Changes are the edits a coupon takes: deactivate (or reactivate), move
// its expiry, raise (or lower, down to what is used) its redemption bound.
type Changes struct {
	Active         *bool
	ExpiresAt      *time.Time
	MaxRedemptions *int64
}

// mayManage says whether who may create coupons at all.
func mayManage(who auth.Identity) bool {
	return who.Role == auth.RoleInstructor || who.Role == auth.RoleAdmin
}

// Create validates and stores a coupon of the caller. Every bad field is
// reported at once.
func (s *Service) Create(ctx context.Context, who auth.Identity, d Draft) (*Coupon, error) {
	if !mayManage(who) {
		return nil, ErrNotFound
	}
	now := s.now()
	var bad []apperr.FieldError
	fail := func(field, msg string) { bad = append(bad, apperr.FieldError{Field: field, Message: msg}) }
	code, ok := NormalizeCode(d.Code)
	if !ok {
		fail("code", "must be 3–32 letters, digits, _ or -")
	}
	c := &Coupon{
		Code: code, OwnerID: who.UserID, Site: who.Role == auth.RoleAdmin, Kind: Kind(d.Kind),
		PerUserLimit: 1, Active: true, UserUses: map[string]int64{}, CreatedAt: now, UpdatedAt: now,
	}
	minPrice := s.checkCourses(ctx, who, d.CourseIDs, c, fail)
	switch c.Kind {
	case KindPercent:
		if d.Value != math.Trunc(d.Value) || d.Value < 1 || d.Value > 100 {
			fail("value", "a percentage must be a whole number from 1 to 100")
		}
		c.Value = int64(d.Value)
	case KindAmount:
		cents := math.Round(d.Value * 100)
		switch {
		case d.Value <= 0 || math.Abs(d.Value*100-cents) > 1e-6:
			fail("value", "an amount must be positive, with at most two decimals")
		case cents > MaxAmountCents || minPrice >= 0 && int64(cents) > minPrice:
			fail("value", "an amount may not exceed the list price of its courses")
		}
		c.Value = int64(cents)
	default:
		fail("kind", "must be percent or amount")
	}
	if d.StartsAt != nil {
		c.StartsAt = d.StartsAt.UTC()
	}
	if d.ExpiresAt != nil {
		c.ExpiresAt = d.ExpiresAt.UTC()
		if !c.ExpiresAt.After(now) || !c.ExpiresAt.After(c.StartsAt) {
			fail("expiresAt", "must be in the future and after startsAt")
		}
	}
	if d.MaxRedemptions != nil {
		if *d.MaxRedemptions < 1 {
			fail("maxRedemptions", "must be at least 1")
		}
		c.MaxRedemptions = *d.MaxRedemptions
	}
	if d.PerUserLimit != nil {
		if *d.PerUserLimit < 1 || *d.PerUserLimit > MaxPerUserLimit {
			fail("perUserLimit", fmt.Sprintf("must be from 1 to %d", MaxPerUserLimit))
		}
		c.PerUserLimit = *d.PerUserLimit
	}
	if err := apperr.Validation(bad); err != nil {
		return nil, err
	}
	if err := s.d.Repo.Create(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// checkCourses checks that every course id names a course the caller owns
// (an admin: any course), sets them on c, and returns the lowest list
// price among them in cents (-1 when none are named).
func (s *Service) checkCourses(ctx context.Context, who auth.Identity, ids []string, c *Coupon, fail func(string, string)) int64 {
	minPrice := int64(-1)
	if len(ids) > MaxCourses {
		fail("courseIds", fmt.Sprintf("at most %d courses", MaxCourses))
		return minPrice
	}
	c.CourseIDs = []string{}
	for _, id := range ids {
		if slices.Contains(c.CourseIDs, id) {
			continue
		}
		// As it is (course.Fresh), not from the course cache: the amount
		// is capped by the price now, which another instance may have
		// lowered within the cache's TTL.
		crs, err := s.d.Catalog.Visible(course.Fresh(ctx), who, id)
		if err != nil || !enrolment.Owns(who, crs.InstructorID) {
			fail("courseIds", "not one of your courses: "+id)
			continue
		}
		c.CourseIDs = append(c.CourseIDs, id)
		price := int64(math.Round(crs.Price * 100))
		if minPrice < 0 || price < minPrice {
			minPrice = price
		}
	}
	return minPrice
}

// List returns the caller's coupons, newest first.
func (s *Service) List(ctx context.Context, who auth.Identity) ([]Coupon, error) {
	if !mayManage(who) {
		return nil, ErrNotFound
	}
	return s.d.Repo.ByOwner(ctx, who.UserID)
}

// managed returns a coupon the caller may change: their own, or any for an
// admin. Another's is not found.
func (s *Service) managed(ctx context.Context, who auth.Identity, id string) (*Coupon, error) {
	c, err := s.d.Repo.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.OwnerID != who.UserID && who.Role != auth.RoleAdmin {
		return nil, ErrNotFound
	}
	return c, nil
}

// Update applies changes to a coupon the caller manages.
func (s *Service) Update(ctx context.Context, who auth.Identity, id string, ch Changes) (*Coupon, error) {
	c, err := s.managed(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if ch.Active == nil && ch.ExpiresAt == nil && ch.MaxRedemptions == nil {
		return nil, course.ErrNothingToUpdate
	}
	var bad []apperr.FieldError
	if ch.ExpiresAt != nil {
		t := ch.ExpiresAt.UTC()
		ch.ExpiresAt = &t
		if !t.After(s.now()) || !t.After(c.StartsAt) {
			bad = append(bad, apperr.FieldError{Field: "expiresAt", Message: "must be in the future and after startsAt"})
		}
	}
	if ch.MaxRedemptions != nil && *ch.MaxRedemptions < 1 {
		bad = append(bad, apperr.FieldError{Field: "maxRedemptions", Message: "must be at least 1"})
	}
	if err := apperr.Validation(bad); err != nil {
		return nil, err
	}
	after, ok, err := s.d.Repo.Update(ctx, id, ch, s.now())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Validation([]apperr.FieldError{{Field: "maxRedemptions",
			Message: fmt.Sprintf("must be at least the %d uses made or reserved", after.Used)}})
	}
	return after, nil
}

// Delete deletes a coupon the caller manages that was never used, and
// answers nil; a used one (its uses stay in the ledger) is deactivated
// instead and returned.
func (s *Service) Delete(ctx context.Context, who auth.Identity, id string) (*Coupon, error) {
	if _, err := s.managed(ctx, who, id); err != nil {
		return nil, err
	}
	err := s.d.Repo.Delete(ctx, id)
	if !errors.Is(err, ErrUsed) {
		return nil, err
	}
	inactive := false
	c, _, err := s.d.Repo.Update(ctx, id, Changes{Active: &inactive}, s.now())
	return c, err
}

// Find returns the coupon a code names for a course of instructorID, usable
// now: the course owner's coupon first, then an admin's. A code nobody has
// is ErrUnknown; one that exists but not for this course ErrNotApplicable.
func (s *Service) Find(ctx context.Context, code, courseID, instructorID string) (*Coupon, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return nil, ErrUnknown
	}
	all, err := s.d.Repo.ByCode(ctx, norm)
	if err != nil {
		return nil, err
	}
	var found *Coupon
	for i := range all {
		c := &all[i]
		if c.AppliesTo(courseID, instructorID) && (found == nil || found.Site && !c.Site) {
			found = c
		}
	}
	switch {
	case found != nil:
		return found, found.Usable(s.now())
	case len(all) > 0:
		return nil, ErrNotApplicable
	}
	return nil, ErrUnknown
}

// maxReserveTries bounds the re-reads of Reserve when the coupon's limits
// changed under it.
const maxReserveTries = 3

// Reserve counts one use of c by userID for purchaseID, exactly: it never
// lets Used pass MaxRedemptions nor a user's uses pass PerUserLimit, however
// many checkouts run at once. It returns why it could not.
func (s *Service) Reserve(ctx context.Context, c *Coupon, purchaseID, userID string) error {
	for range maxReserveTries {
		ok, err := s.d.Repo.Reserve(ctx, c, purchaseID, userID, s.now())
		if err != nil || ok {
			return err
		}
		if c, err = s.d.Repo.ByID(ctx, c.ID); err != nil {
			return apperr.Relabel(err, apperr.NotFound, ErrUnknown)
		}
		if err := c.Usable(s.now()); err != nil {
			return err
		}
		if err := c.Available(userID, 0); err != nil {
			return err
		}
		// Its limits were edited meanwhile: try again with them.
	}
	return ErrUsedUp
}

// Release takes back the reservation of a purchase that will not be paid.
func (s *Service) Release(ctx context.Context, id, purchaseID, userID string) error {
	return s.d.Repo.Release(ctx, id, purchaseID, userID, s.now())
}

// Finalize makes the redemption of a paid purchase final.
func (s *Service) Finalize(ctx context.Context, id, purchaseID, userID string) error {
	return s.d.Repo.Finalize(ctx, id, purchaseID, userID, s.now())
}
