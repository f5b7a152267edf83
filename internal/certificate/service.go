package certificate

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/progress"
)

// Repository stores certificates. Not found is ErrNotFound.
type Repository interface {
	// Create stores c; ErrExists when a certificate with c.ID exists.
	Create(ctx context.Context, c *Certificate) error
	// ByID returns the certificate with this id.
	ByID(ctx context.Context, id string) (*Certificate, error)
	// ByVerifyHash returns the certificate whose VerifyHash is hash.
	ByVerifyHash(ctx context.Context, hash string) (*Certificate, error)
	// ByUser returns the user's certificates, newest first.
	ByUser(ctx context.Context, userID string) ([]Certificate, error)
	// SetRevocation revokes the certificate with r, or reinstates it when r
	// is nil, and returns it as it is afterwards.
	SetRevocation(ctx context.Context, id string, r *Revocation) (*Certificate, error)
	// DeleteByUser deletes the user's certificates.
	DeleteByUser(ctx context.Context, userID string) error
}

// Catalog returns a course page the caller may see (course.Service): the
// course with its current lectures and its instructor.
type Catalog interface {
	Detail(ctx context.Context, v auth.Identity, courseID string) (*course.Detail, error)
}

// Entitlement answers whether a caller may use a course (enrolment.Service
// owns the rule).
type Entitlement interface {
	Entitled(ctx context.Context, v auth.Identity, courseID, instructorID string) (bool, error)
}

// Progress reads a user's progress record refreshed against the course's
// current lectures (the progress repository); progress.ErrRecordNotFound
// when there is none.
type Progress interface {
	Find(ctx context.Context, userID, courseID string, lectures []string) (*progress.Record, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo        Repository
	Catalog     Catalog
	Entitlement Entitlement
	Progress    Progress
	Now         func() time.Time // time.Now when nil
}

// Service runs the certificate use cases.
type Service struct {
	d Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// Issue returns the caller's certificate for a course, issuing it when
// there is none yet: the caller must be entitled to the course and have
// completed every current lecture (the server reads the progress; nothing
// comes from the client). created is true only for the call that stored
// it; concurrent calls all return that one certificate. An issued
// certificate is returned as it is (revoked or not) even when progress was
// reset since. learnerName is the caller's name now (the request has read
// the caller's account already); it goes into the snapshot.
func (s *Service) Issue(ctx context.Context, v auth.Identity, learnerName, courseID string) (c *Certificate, created bool, err error) {
	d, err := s.d.Catalog.Detail(ctx, v, courseID)
	if err != nil {
		return nil, false, err
	}
	entitled, err := s.d.Entitlement.Entitled(ctx, v, d.Course.ID, d.Course.InstructorID)
	if err != nil {
		return nil, false, fmt.Errorf("check entitlement: %w", err)
	}
	if !entitled {
		return nil, false, ErrNotEntitled
	}
	id := IDFor(v.UserID, d.Course.ID)
	if c, err := s.d.Repo.ByID(ctx, id); err == nil {
		return c, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, false, fmt.Errorf("find certificate: %w", err)
	}
	if len(d.Course.LectureIDs) == 0 {
		return nil, false, ErrNoLectures
	}
	rec, err := s.d.Progress.Find(ctx, v.UserID, d.Course.ID, d.Course.LectureIDs)
	if errors.Is(err, progress.ErrRecordNotFound) {
		return nil, false, NotCompleted(0)
	}
	if err != nil {
		return nil, false, fmt.Errorf("find progress: %w", err)
	}
	if done, pct := completion(rec); !done {
		return nil, false, NotCompleted(pct)
	}
	verifyID, err := NewVerifyID()
	if err != nil {
		return nil, false, err
	}
	c = &Certificate{
		ID: id, UserID: v.UserID, CourseID: d.Course.ID, VerifyID: verifyID,
		Snapshot: Snapshot{
			LearnerName:    learnerName,
			CourseTitle:    d.Course.Title,
			InstructorName: d.Instructor.Name,
			TotalDuration:  d.Course.TotalDuration,
			CompletedAt:    completedAt(rec),
			IssuedAt:       s.now(),
		},
	}
	switch err := s.d.Repo.Create(ctx, c); {
	case errors.Is(err, ErrExists):
		c, err := s.d.Repo.ByID(ctx, id)
		if err != nil {
			return nil, false, fmt.Errorf("read certificate issued meanwhile: %w", err)
		}
		return c, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store certificate: %w", err)
	}
	return c, true, nil
}

// completion says whether every current lecture is completed, and the
// percentage to report when not. It checks the lectures one by one: the
// rounded percentage alone reaches 100 with one lecture of 200 missing.
func completion(rec *progress.Record) (done bool, percentage int) {
	for _, e := range rec.Lectures {
		if !e.IsCompleted {
			return false, min(rec.CompletionPercentage, 99)
		}
	}
	return len(rec.Lectures) > 0, rec.CompletionPercentage
}

// completedAt is when a complete record was completed: the latest time a
// lecture was watched, or when the record last changed if marking the
// whole course completed left no watch times.
func completedAt(rec *progress.Record) time.Time {
	var at time.Time
	for _, e := range rec.Lectures {
		if e.LastWatched != nil && e.LastWatched.After(at) {
			at = *e.LastWatched
		}
	}
	if at.IsZero() || rec.UpdatedAt.After(at) {
		at = rec.UpdatedAt
	}
	return clock.Truncate(at)
}

// Mine returns the caller's certificates, newest first.
func (s *Service) Mine(ctx context.Context, v auth.Identity) ([]Certificate, error) {
	list, err := s.d.Repo.ByUser(ctx, v.UserID)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	return list, nil
}

// Get returns one certificate: the caller's own, or any for an admin.
// Someone else's is not found, so that ids do not reveal what exists.
func (s *Service) Get(ctx context.Context, v auth.Identity, id string) (*Certificate, error) {
	c, err := s.d.Repo.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.UserID != v.UserID && v.Role != auth.RoleAdmin {
		return nil, ErrNotFound
	}
	return c, nil
}

// Verify returns the certificate with this public verification id. The
// certificate is found by the id's hash and the ids are then compared in
// constant time.
func (s *Service) Verify(ctx context.Context, verifyID string) (*Certificate, error) {
	if !ValidVerifyID(verifyID) {
		return nil, ErrInvalidVerifyID
	}
	c, err := s.d.Repo.ByVerifyHash(ctx, VerifyHash(verifyID))
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(c.VerifyID), []byte(verifyID)) != 1 {
		return nil, ErrNotFound
	}
	return c, nil
}

// Revoke revokes a certificate (admins only) with a reason of 1 to
// MaxReasonRunes characters. Revoking a revoked certificate replaces its
// reason and date.
func (s *Service) Revoke(ctx context.Context, v auth.Identity, id, reason string) (*Certificate, error) {
	if v.Role != auth.RoleAdmin {
		return nil, ErrAdminOnly
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonRunes || !utf8.ValidString(reason) {
		return nil, apperr.Validation([]apperr.FieldError{{Field: "reason",
			Message: fmt.Sprintf("reason is required and must be at most %d characters", MaxReasonRunes)}})
	}
	return s.d.Repo.SetRevocation(ctx, id, &Revocation{Reason: reason, At: s.now()})
}

// Reinstate makes a revoked certificate valid again (admins only), with
// its original snapshot.
func (s *Service) Reinstate(ctx context.Context, v auth.Identity, id string) (*Certificate, error) {
	if v.Role != auth.RoleAdmin {
		return nil, ErrAdminOnly
	}
	return s.d.Repo.SetRevocation(ctx, id, nil)
}

// RevokeRefunded revokes the user's certificate for a course because its
// purchase was refunded in full. It is idempotent: no certificate, or one
// already revoked, is left as it is.
func (s *Service) RevokeRefunded(ctx context.Context, userID, courseID string) error {
	c, err := s.d.Repo.ByID(ctx, IDFor(userID, courseID))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find certificate: %w", err)
	}
	if c.Revocation != nil {
		return nil
	}
	if _, err := s.d.Repo.SetRevocation(ctx, c.ID, &Revocation{Reason: ReasonRefunded, At: s.now(), Refund: true}); err != nil {
		return fmt.Errorf("revoke certificate: %w", err)
	}
	return nil
}

// ReinstatePurchased makes the user's certificate for a course valid again
// when a refund revoked it and the course was bought again: the status
// follows the money both ways. An admin's revocation, or no certificate,
// is left as it is; it is idempotent.
func (s *Service) ReinstatePurchased(ctx context.Context, userID, courseID string) error {
	c, err := s.d.Repo.ByID(ctx, IDFor(userID, courseID))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find certificate: %w", err)
	}
	if c.Revocation == nil || !c.Revocation.Refund {
		return nil
	}
	if _, err := s.d.Repo.SetRevocation(ctx, c.ID, nil); err != nil {
		return fmt.Errorf("reinstate certificate: %w", err)
	}
	return nil
}

// DeleteByUser deletes the user's certificates, as deleting the account
// does; their verification ids then answer not found.
func (s *Service) DeleteByUser(ctx context.Context, userID string) error {
	if err := s.d.Repo.DeleteByUser(ctx, userID); err != nil {
		return fmt.Errorf("delete certificates: %w", err)
	}
	return nil
}
