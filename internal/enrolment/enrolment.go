// Package enrolment owns who may use which course: enrolling and unenrolling
// students, each user's list of enrolments, and the entitlement rule that
// course pages, video URLs, progress and payments ask.
package enrolment

import (
	"context"
	"fmt"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
)

// Enrolment is a course a user may study.
type Enrolment struct {
	CourseID   string
	EnrolledAt time.Time
}

// Repository stores enrolments and keeps each course's enrolledCount equal
// to the number of its enrolments.
type Repository interface {
	// Enrol adds the enrolment unless it exists and, only when it added it,
	// increments the course's enrolledCount. It reports whether it added it.
	Enrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error)
	// Unenrol is Enrol's inverse: remove, and decrement only when removed.
	Unenrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error)
	// IsEnrolled reports whether the user is enrolled in the course.
	IsEnrolled(ctx context.Context, userID, courseID string) (bool, error)
	// ByUser returns the user's enrolments, oldest first.
	ByUser(ctx context.Context, userID string) ([]Enrolment, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo Repository
	Now  func() time.Time // time.Now when nil
}

// Service answers and changes who may use which course.
type Service struct {
	d Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

// Owns reports whether the caller may act as the owner of a course with
// this instructor: the instructor or an admin.
func Owns(v auth.Identity, instructorID string) bool {
	return v.Role == auth.RoleAdmin || (v.UserID != "" && v.UserID == instructorID)
}

// Entitled reports whether the caller may use a course — watch all its
// lectures, track progress, see it while it is a draft: its owner (see
// Owns) or an enrolled student. A refund unenrols, so an enrolled student
// is one whose purchase was not refunded.
func (s *Service) Entitled(ctx context.Context, v auth.Identity, courseID, instructorID string) (bool, error) {
	if Owns(v, instructorID) {
		return true, nil
	}
	if v.UserID == "" {
		return false, nil
	}
	return s.IsEnrolled(ctx, v.UserID, courseID)
}

// IsEnrolled reports whether the user is enrolled in the course. An
// enrolment that ctx already knows of (WithKnown) is answered without a
// read; any other answer is read.
func (s *Service) IsEnrolled(ctx context.Context, userID, courseID string) (bool, error) {
	if s.Known(ctx, userID, courseID) {
		return true, nil
	}
	ok, err := s.d.Repo.IsEnrolled(ctx, userID, courseID)
	if err != nil {
		return false, fmt.Errorf("check enrolment: %w", err)
	}
	return ok, nil
}

type knownKey struct{}

type known struct {
	userID string
	list   []Enrolment
}

// WithKnown returns ctx carrying a user's enrolments as read with their
// account for the current request, so that entitlement checks within the
// request need no second read. Only their presence is trusted: a course not
// in the list is still looked up, in case the request itself enrolled.
func WithKnown(ctx context.Context, userID string, list []Enrolment) context.Context {
	return context.WithValue(ctx, knownKey{}, known{userID: userID, list: list})
}

// Known reports whether ctx knows the user to be enrolled in the course
// (WithKnown), without a read.
func (s *Service) Known(ctx context.Context, userID, courseID string) bool {
	k, ok := ctx.Value(knownKey{}).(known)
	if !ok || k.userID != userID {
		return false
	}
	for _, e := range k.list {
		if e.CourseID == courseID {
			return true
		}
	}
	return false
}

// Enrol enrols the user in the course unless they are; it reports whether
// it did.
func (s *Service) Enrol(ctx context.Context, userID, courseID string) (bool, error) {
	added, err := s.d.Repo.Enrol(ctx, userID, courseID, clock.Now(s.d.Now))
	if err != nil {
		return false, fmt.Errorf("enrol user %s in course %s: %w", userID, courseID, err)
	}
	return added, nil
}

// Unenrol removes the user from the course; it reports whether they were
// enrolled.
func (s *Service) Unenrol(ctx context.Context, userID, courseID string) (bool, error) {
	removed, err := s.d.Repo.Unenrol(ctx, userID, courseID, clock.Now(s.d.Now))
	if err != nil {
		return false, fmt.Errorf("unenrol user %s from course %s: %w", userID, courseID, err)
	}
	return removed, nil
}

// RemoveUser unenrols a user from every course, as deleting their account
// does, so that each course's enrolledCount stays true.
func (s *Service) RemoveUser(ctx context.Context, userID string) error {
	list, err := s.d.Repo.ByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("list enrolments: %w", err)
	}
	for _, e := range list {
		if _, err := s.Unenrol(ctx, userID, e.CourseID); err != nil {
			return err
		}
	}
	return nil
}
