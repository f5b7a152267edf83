package course

import (
	"context"
	"time"
)

// Repository stores courses and their lectures. A missing course is
// ErrCourseNotFound, a missing lecture ErrLectureNotFound.
type Repository interface {
	Create(ctx context.Context, c *Course) error
	ByID(ctx context.Context, id string) (*Course, error)
	// Update applies changes and returns the course before and after.
	Update(ctx context.Context, id string, ch Changes, now time.Time) (before, after *Course, err error)
	// SetPublished publishes or unpublishes a course; publishing one without
	// lectures is an apperr.Conflict.
	SetPublished(ctx context.Context, id string, published bool, now time.Time) (*Course, error)
	// Delete removes a course that nobody is enrolled in; a course with
	// enrolments is an apperr.Conflict.
	Delete(ctx context.Context, id string) error
	// Find returns one page of the courses matching q and their total.
	Find(ctx context.Context, q Query) ([]Course, int64, error)
	// Published returns up to limit published courses, in no order, with
	// one query (see catalog).
	Published(ctx context.Context, limit int) ([]Course, error)
	// Instructors returns the instructors with these ids, by id.
	Instructors(ctx context.Context, ids []string) (map[string]Instructor, error)
	// CatalogRevision returns a number that changes after every write that
	// changes what a published course's card shows: its fields, totals,
	// enrolledCount, rating, or its instructor's public profile.
	CatalogRevision(ctx context.Context) (int64, error)
	// CountByInstructor counts the courses an instructor owns.
	CountByInstructor(ctx context.Context, instructorID string) (int64, error)

	AddLecture(ctx context.Context, l *Lecture) error
	// Lectures returns a course's lectures by order.
	Lectures(ctx context.Context, courseID string) ([]Lecture, error)
	// Lecture returns a lecture of a course.
	Lecture(ctx context.Context, courseID, lectureID string) (*Lecture, error)
	UpdateLecture(ctx context.Context, courseID, lectureID string, ch LectureChanges, now time.Time) (before, after *Lecture, err error)
	// DeleteLecture removes a lecture and returns it; the last lecture of a
	// published course is ErrLastLecture, decided atomically with the
	// course's state so that concurrent deletes cannot remove both of two.
	DeleteLecture(ctx context.Context, courseID, lectureID string) (*Lecture, error)
	// SetCaption adds a caption track to a lecture, replacing any track of
	// the same language, so that the lecture keeps one per language even
	// under concurrent uploads; it returns the storage keys of the tracks
	// it replaced.
	SetCaption(ctx context.Context, courseID, lectureID string, c Caption, now time.Time) (replaced []string, err error)
	// RemoveCaption removes a lecture's track of a language and returns it;
	// ErrCaptionNotFound when it has none.
	RemoveCaption(ctx context.Context, courseID, lectureID, language string, now time.Time) (*Caption, error)
	// DeleteLectures removes every lecture of a course and returns them.
	DeleteLectures(ctx context.Context, courseID string) ([]Lecture, error)
	// RefreshTotals recomputes a course's lecture list, totalLectures and
	// totalDuration (and whatever else the course keeps of its lectures:
	// Lectures may read a copy) from its lectures; it runs after every
	// lecture write, captions included.
	// It returns the lecture ids it read, in lecture order.
	RefreshTotals(ctx context.Context, courseID string, now time.Time) ([]string, error)
	// SetCurriculum stores a course's sections and lecture order if its
	// curriculum version is still version (else ErrCurriculumChanged),
	// bumps the version, gives sections without an ID one, renumbers the
	// lectures' order 1..n in course order, refreshes the course as
	// RefreshTotals does and returns the course.
	SetCurriculum(ctx context.Context, courseID string, version int64, cu Curriculum, now time.Time) (*Course, error)
}

// Changes are the course fields an update sets; nil leaves a field as is.
type Changes struct {
	Title, Subtitle, Description, Category, Level *string
	Price                                         *float64
	Thumbnail                                     *string // storage key
}

// LectureChanges are the lecture fields an update sets; nil leaves a field.
type LectureChanges struct {
	Title, Description *string
	Order              *int
	IsPreview          *bool
	Video              *string // storage key
	Duration           *float64
}

// Sort orders of a listing.
const (
	SortNewest    = "newest"
	SortOldest    = "oldest"
	SortPriceAsc  = "price-asc"
	SortPriceDesc = "price-desc"
	SortTitle     = "title"
	// SortRating is the best average rating first, then the most reviews.
	SortRating = "rating"
)

// Query selects a page of courses. Text filters match a case-insensitive
// literal substring.
type Query struct {
	PublishedOnly bool
	InstructorID  string
	Text          string // any of title, subtitle, description, category
	Title         string
	Category      string
	Level         string
	MinPrice      *float64
	MaxPrice      *float64
	MinRating     *float64 // the average rating, as course cards show it
	Sort          string
	Page, Limit   int
}

// ProgressCleaner removes progress that refers to deleted lectures or
// courses.
type ProgressCleaner interface {
	// RemoveLecture drops a removed lecture's entries, given the course's
	// current lectures.
	RemoveLecture(ctx context.Context, courseID, lectureID string, current []string, now time.Time) error
	DeleteByCourse(ctx context.Context, courseID string) error
}

// MediaRemover deletes stored media; failures are logged, never returned.
type MediaRemover interface {
	Remove(ctx context.Context, key string)
}
