package progress

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
	// UpdateAsStored is Update against the lectures the record has entries
	// for, for a change that needs no course: it neither adds entries for
	// lectures added since the record's last write nor drops any.
	UpdateAsStored(ctx context.Context, userID, courseID string, now time.Time, change func(*Record) error) (*Record, error)
	// ByUser returns the user's records, most recently accessed first, at
	// most limit of them, not refreshed.
	ByUser(ctx context.Context, userID string, limit int) ([]*Record, error)
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
	// Lecture returns a lecture of a course (for its duration).
	Lecture(ctx context.Context, courseID, lectureID string) (*course.Lecture, error)
	// Listed returns the courses with these ids, in that order, skipping
	// missing ones.
	Listed(ctx context.Context, ids []string) ([]course.Listed, error)
}

// Entitlement answers whether a caller may use a course (enrolment.Service
// owns the rule).
type Entitlement interface {
	Entitled(ctx context.Context, v auth.Identity, courseID, instructorID string) (bool, error)
	// Known reports whether the request already knows the user to be
	// enrolled in the course (no read; see enrolment.WithKnown).
	Known(ctx context.Context, userID, courseID string) bool
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo        Repository
	Catalog     Catalog
	Entitlement Entitlement
	// AutoComplete is the share of a lecture's duration whose watching
	// completes it (see Record.ReportPosition); 0 disables it.
	AutoComplete float64
	Now          func() time.Time // time.Now when nil
}

// Service runs the progress use cases. The record is always the caller's,
// of a course the caller may see; every use case reads the course once.
type Service struct {
	d Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
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
	c, err := s.courseOf(ctx, v, courseID, lectureID)
	if err != nil {
		return nil, err
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

// ReportPosition stores where the caller is in a lecture of a course they
// are entitled to, and the watched time it proves (Record.ReportPosition).
// seconds must lie within the lecture's video: from 0 to its duration.
//
// A player calls it every few seconds, so when the request already knows
// the caller to be enrolled it reads no course: the lecture (its course
// and duration) and the record as stored suffice. The course is read, and
// the record refreshed against it, when that is not enough: for the first
// report (which creates the record), for a lecture added since the record
// was written, for a report that completes the lecture (the percentage
// must count every current lecture) and for callers entitled otherwise
// (the course's instructor, admins).
func (s *Service) ReportPosition(ctx context.Context, v auth.Identity, courseID, lectureID string, seconds float64) (*Record, error) {
	now := s.now()
	var l *course.Lecture // read once, by whichever path first needs it
	if s.d.Entitlement.Known(ctx, v.UserID, courseID) {
		var err error
		l, err = s.d.Catalog.Lecture(ctx, courseID, lectureID)
		if errors.Is(err, course.ErrLectureNotFound) {
			return nil, ErrLectureNotInCourse
		}
		if err != nil {
			return nil, err
		}
		if err := checkPosition(seconds, l.Duration); err != nil {
			return nil, err
		}
		rec, err := s.d.Repo.UpdateAsStored(ctx, v.UserID, courseID, now, func(r *Record) error {
			i := slices.IndexFunc(r.Lectures, func(e LectureProgress) bool { return e.LectureID == lectureID })
			if i < 0 {
				return errNeedsCourse
			}
			was := r.Lectures[i].IsCompleted
			if err := r.ReportPosition(lectureID, seconds, l.Duration, s.d.AutoComplete, now); err != nil {
				return err
			}
			if !was && r.Lectures[i].IsCompleted {
				return errNeedsCourse
			}
			return nil
		})
		if err == nil || !errors.Is(err, errNeedsCourse) && !errors.Is(err, ErrRecordNotFound) {
			return rec, wrap("report position", err)
		}
	}
	return s.reportWithCourse(ctx, v, courseID, lectureID, l, seconds, now)
}

// errNeedsCourse makes ReportPosition read the course.
var errNeedsCourse = errors.New("the report needs the course")

// reportWithCourse is ReportPosition with the course read, the entitlement
// asked, and the record refreshed against the course's lectures; l is the
// lecture when already read.
func (s *Service) reportWithCourse(ctx context.Context, v auth.Identity, courseID, lectureID string, l *course.Lecture, seconds float64, now time.Time) (*Record, error) {
	c, err := s.courseOf(ctx, v, courseID, lectureID)
	if err != nil {
		return nil, err
	}
	entitled, err := s.d.Entitlement.Entitled(ctx, v, c.ID, c.InstructorID)
	if err != nil {
		return nil, err
	}
	if !entitled {
		return nil, ErrNotEntitled
	}
	if l == nil {
		if l, err = s.d.Catalog.Lecture(ctx, c.ID, lectureID); err != nil {
			return nil, err
		}
	}
	if err := checkPosition(seconds, l.Duration); err != nil {
		return nil, err
	}
	report := func(r *Record) error { return r.ReportPosition(lectureID, seconds, l.Duration, s.d.AutoComplete, now) }
	rec, err := s.d.Repo.Update(ctx, v.UserID, c.ID, c.LectureIDs, now, report)
	if errors.Is(err, ErrRecordNotFound) {
		if _, _, err = s.d.Repo.Create(ctx, v.UserID, c.ID, c.LectureIDs, now); err == nil {
			rec, err = s.d.Repo.Update(ctx, v.UserID, c.ID, c.LectureIDs, now, report)
		}
	}
	return rec, wrap("report position", err)
}

// checkPosition refuses a position outside the lecture's video.
func checkPosition(seconds, duration float64) error {
	if math.IsNaN(seconds) || seconds < 0 || seconds > duration {
		return apperr.Validation([]apperr.FieldError{{Field: "seconds",
			Message: fmt.Sprintf("seconds must be a number from 0 to the lecture's duration (%g)", duration)}})
	}
	return nil
}

// Continuing is a course in progress, for a "continue learning" list.
type Continuing struct {
	Record
	Course course.Listed
	Resume *Resume
}

// InProgress lists the caller's courses that they started and have not
// completed and may still see, most recently accessed first, at most
// MaxInProgress of them.
func (s *Service) InProgress(ctx context.Context, v auth.Identity) ([]Continuing, error) {
	recs, err := s.d.Repo.ByUser(ctx, v.UserID, MaxInProgress)
	if err != nil {
		return nil, fmt.Errorf("list progress: %w", err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.CourseID
	}
	courses, err := s.d.Catalog.Listed(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]course.Listed, len(courses))
	for _, c := range courses {
		byID[c.ID] = c
	}
	out := []Continuing{}
	for _, r := range recs {
		c, ok := byID[r.CourseID]
		if !ok {
			continue
		}
		r.Refresh(c.LectureIDs)
		if r.IsCompleted {
			continue
		}
		if !c.IsPublished {
			entitled, err := s.d.Entitlement.Entitled(ctx, v, c.ID, c.InstructorID)
			if err != nil {
				return nil, err
			}
			if !entitled {
				continue
			}
		}
		out = append(out, Continuing{Record: *r, Course: c, Resume: r.Resume()})
	}
	return out, nil
}

// MaxInProgress bounds the records InProgress reads.
const MaxInProgress = 100

// courseOf returns a course the caller may see that has the lecture.
func (s *Service) courseOf(ctx context.Context, v auth.Identity, courseID, lectureID string) (*course.Course, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.LectureIDs, lectureID) {
		return nil, ErrLectureNotInCourse
	}
	return c, nil
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
