package progress

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/course"
)

// Repository stores progress records. It is the only writer of records: it
// refreshes every record against the course's current lectures (given by
// the caller, who read them with the course) and recomputes the percentage
// before each write, and it serialises concurrent changes to one record so
// that none is lost.
type Repository interface {
	// Find returns the user's record for the course refreshed against
	// lectures (not written back), or ErrRecordNotFound.
	Find(ctx context.Context, userID, courseID string, lectures []string) (*Record, error)
	// Create stores a new record for these lectures. When the user already
	// has one (say, a concurrent request created it) it returns that one
	// and created false.
	Create(ctx context.Context, userID, courseID string, lectures []string, now time.Time) (rec *Record, created bool, err error)
	// Update applies change to the user's record, refreshed against
	// lectures, and stores it with LastAccessed and UpdatedAt set to now.
	// change may run more than once (when another write got in first) and
	// must depend only on the record it is given. It returns
	// ErrRecordNotFound, change's error, or ErrBusy when the record kept
	// changing.
	Update(ctx context.Context, userID, courseID string, lectures []string, now time.Time, change func(*Record) error) (*Record, error)
}

// Detail is a record with its course, for display (the page's user is the
// caller, whom the HTTP layer already read).
type Detail struct {
	Record
	Course   CourseSummary
	Sections []SectionProgress // in order; none when the course has no sections
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

// Catalog says which courses a user may see: drafts only their instructor,
// admins and enrolled students (a course they may not see is not found).
// The course it returns carries its current lectures, in order.
type Catalog interface {
	Visible(ctx context.Context, v auth.Identity, courseID string) (*course.Course, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo    Repository
	Catalog Catalog
	Now     func() time.Time // time.Now when nil
}

// Service runs the progress use cases. The record is always the caller's,
// of a course the caller may see; every use case reads the course once.
type Service struct {
	d Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// Get returns the caller's record for a course they may see; it never
// creates one.
func (s *Service) Get(ctx context.Context, v auth.Identity, courseID string) (*Detail, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	rec, err := s.d.Repo.Find(ctx, v.UserID, c.ID, c.LectureIDs)
	if err != nil {
		return nil, fmt.Errorf("find progress: %w", err)
	}
	return &Detail{
		Record: *rec,
		Course: CourseSummary{
			ID: c.ID, Title: c.Title, Subtitle: c.Subtitle, Description: c.Description,
			Thumbnail: c.Thumbnail, LectureIDs: c.LectureIDs,
		},
		Sections: BySection(rec, c.Sections),
	}, nil
}

// SetLecture marks a lecture of a course the caller may see completed or
// not. The first call for a course only creates the record, with no
// lecture completed, and returns it without applying completed — the
// documented behaviour of the original service, kept because clients rely
// on it. A request that loses the race to create the record applies its
// change to the winner's record.
func (s *Service) SetLecture(ctx context.Context, v auth.Identity, courseID, lectureID string, completed bool) (*Record, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.LectureIDs, lectureID) {
		return nil, ErrLectureNotInCourse
	}
	now := s.now()
	set := func(r *Record) error { return r.SetLecture(lectureID, completed, now) }
	rec, err := s.d.Repo.Update(ctx, v.UserID, c.ID, c.LectureIDs, now, set)
	if !errors.Is(err, ErrRecordNotFound) {
		return rec, wrap("update progress", err)
	}
	rec, created, err := s.d.Repo.Create(ctx, v.UserID, c.ID, c.LectureIDs, now)
	if err != nil || created {
		return rec, wrap("create progress", err)
	}
	rec, err = s.d.Repo.Update(ctx, v.UserID, c.ID, c.LectureIDs, now, set)
	return rec, wrap("update progress", err)
}

// Complete marks every lecture of a course the caller may see completed.
func (s *Service) Complete(ctx context.Context, v auth.Identity, courseID string) error {
	return s.change(ctx, v, courseID, "complete course", (*Record).Complete)
}

// Reset marks every lecture of a course the caller may see not completed
// and never watched.
func (s *Service) Reset(ctx context.Context, v auth.Identity, courseID string) error {
	return s.change(ctx, v, courseID, "reset progress", (*Record).Reset)
}

// change applies a change of the whole record. A course the caller may not
// see has no record for them: it answers ErrRecordNotFound, as the original
// service did for every course without a record.
func (s *Service) change(ctx context.Context, v auth.Identity, courseID, what string, apply func(*Record)) error {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if apperr.Is(err, apperr.NotFound) {
		return ErrRecordNotFound
	}
	if err != nil {
		return err
	}
	_, err = s.d.Repo.Update(ctx, v.UserID, c.ID, c.LectureIDs, s.now(), func(r *Record) error {
		apply(r)
		return nil
	})
	return wrap(what, err)
}

// wrap adds context to a non-nil error.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
