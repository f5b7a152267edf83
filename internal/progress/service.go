package progress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
)

// Repository stores progress records. It is the only writer of records: it
// refreshes every record against the course's current lectures and
// recomputes the percentage before each write, and it serialises concurrent
// changes to one record so that none is lost.
type Repository interface {
	// CourseLectures returns the ids of the course's current lectures in
	// lecture order, or ErrCourseNotFound.
	CourseLectures(ctx context.Context, courseID string) ([]string, error)
	// Find returns the user's record for the course with the course and the
	// user, refreshed against the current lectures (not written back). It
	// returns ErrCourseNotFound, then ErrRecordNotFound.
	Find(ctx context.Context, userID, courseID string) (*Detail, error)
	// Create stores a new record for the course's current lectures. When
	// the user already has one (say, a concurrent request created it) it
	// returns that one and created false.
	Create(ctx context.Context, userID, courseID string, now time.Time) (rec *Record, created bool, err error)
	// Update applies change to the user's record, refreshed against the
	// current lectures, and stores it with LastAccessed and UpdatedAt set to
	// now. change may run more than once (when another write got in first)
	// and must depend only on the record it is given. It returns
	// ErrRecordNotFound, ErrCourseNotFound, change's error, or ErrBusy when
	// the record kept changing.
	Update(ctx context.Context, userID, courseID string, now time.Time, change func(*Record) error) (*Record, error)
}

// Detail is a record with its course and user, for display.
type Detail struct {
	Record
	Course CourseSummary
	User   UserSummary
}

// CourseSummary is what a progress page shows of the course.
type CourseSummary struct {
	ID          string
	Title       string
	Subtitle    string
	Description string
	Thumbnail   string   // storage key
	LectureIDs  []string // current lectures, in order
}

// UserSummary is what a progress page shows of the user.
type UserSummary struct {
	ID     string
	Name   string
	Email  string
	Avatar string // storage key
}

// Catalog says which courses a user may see: drafts only their instructor,
// admins and enrolled students (a course they may not see is not found).
type Catalog interface {
	Visible(ctx context.Context, v auth.Identity, courseID string) (*course.Course, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo    Repository
	Catalog Catalog
	Now     func() time.Time // time.Now when nil
}

// Service runs the progress use cases. The user is always the caller.
type Service struct {
	Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d}
}

// now is the current time at the database's precision, so that what a
// request returns is what a later read returns.
func (s *Service) now() time.Time {
	return s.Now().UTC().Truncate(time.Millisecond)
}

// Get returns the caller's record for a course they may see; it never
// creates one.
func (s *Service) Get(ctx context.Context, v auth.Identity, courseID string) (*Detail, error) {
	if _, err := s.Catalog.Visible(ctx, v, courseID); err != nil {
		return nil, err
	}
	d, err := s.Repo.Find(ctx, v.UserID, courseID)
	if err != nil {
		return nil, fmt.Errorf("find progress: %w", err)
	}
	return d, nil
}

// SetLecture marks a lecture of a course the caller may see completed or
// not. The first call
// for a course only creates the record, with no lecture completed, and
// returns it without applying completed — the documented behaviour of the
// original service, kept because clients rely on it. A request that loses
// the race to create the record applies its change to the winner's record.
func (s *Service) SetLecture(ctx context.Context, v auth.Identity, courseID, lectureID string, completed bool) (*Record, error) {
	if _, err := s.Catalog.Visible(ctx, v, courseID); err != nil {
		return nil, err
	}
	userID, now := v.UserID, s.now()
	// The change fails with ErrLectureNotInCourse unless the lecture is a
	// current lecture of the course: the record is refreshed against them
	// before it runs.
	set := func(r *Record) error { return r.SetLecture(lectureID, completed, now) }
	rec, err := s.Repo.Update(ctx, userID, courseID, now, set)
	if !errors.Is(err, ErrRecordNotFound) {
		return rec, wrap("update progress", err)
	}
	lectures, err := s.Repo.CourseLectures(ctx, courseID)
	if err != nil {
		return nil, fmt.Errorf("read lectures: %w", err)
	}
	if !slices.Contains(lectures, lectureID) {
		return nil, ErrLectureNotInCourse
	}
	rec, created, err := s.Repo.Create(ctx, userID, courseID, now)
	if err != nil || created {
		return rec, wrap("create progress", err)
	}
	rec, err = s.Repo.Update(ctx, userID, courseID, now, set)
	return rec, wrap("update progress", err)
}

// Complete marks every lecture of the course completed.
func (s *Service) Complete(ctx context.Context, userID, courseID string) error {
	_, err := s.Repo.Update(ctx, userID, courseID, s.now(), func(r *Record) error {
		r.Complete()
		return nil
	})
	return wrap("complete course", err)
}

// Reset marks every lecture of the course not completed and never watched.
func (s *Service) Reset(ctx context.Context, userID, courseID string) error {
	_, err := s.Repo.Update(ctx, userID, courseID, s.now(), func(r *Record) error {
		r.Reset()
		return nil
	})
	return wrap("reset progress", err)
}

// wrap adds context to a non-nil error.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
