// Package course holds the catalog: courses, their lectures, listing and
// search, and who may watch which lecture.
package course

import (
	"context"
	"time"

	"github.com/lms-backend/lms/internal/auth"
)

// Levels a course may have.
const (
	LevelBeginner     = "beginner"
	LevelIntermediate = "intermediate"
	LevelAdvanced     = "advanced"
)

// Course is a course of the catalog.
type Course struct {
	ID            string
	Title         string
	Subtitle      string
	Description   string
	Category      string
	Level         string
	Price         float64 // USD
	Thumbnail     string  // storage key
	InstructorID  string
	LectureIDs    []string // in lecture order
	IsPublished   bool
	TotalLectures int
	TotalDuration float64 // seconds
	EnrolledCount int
	// RatingAverage (one decimal, 0 without reviews) and RatingCount
	// summarise the visible reviews (the review package keeps them).
	RatingAverage float64
	RatingCount   int
	CreatedAt     time.Time
	UpdatedAt     time.Time

	Sections []Section // in order; LectureIDs lists their lectures too
	// CurriculumVersion counts the changes of sections and of which
	// lectures the course has; a reorder names the version it was made on.
	CurriculumVersion int64

	// HasRating tells a stored rating summary (even of no visible reviews)
	// from none: the database sorts a course without one below all others.
	HasRating bool
}

// Lecture is one video of a course.
type Lecture struct {
	ID          string
	CourseID    string
	Title       string
	Description string
	Video       string // storage key
	Duration    float64
	IsPreview   bool
	Order       int
	Captions    []Caption // one per language, in the order they were added
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Instructor is what course pages show of a course's instructor.
type Instructor struct {
	ID     string
	Name   string
	Avatar string // storage key
	Bio    string
}

// Viewer is who looks at the catalog: an identity, or the zero value for an
// anonymous visitor.
type Viewer = auth.Identity

// Entitlement answers whether a caller may use a course (enrolment.Service
// owns the rule).
type Entitlement interface {
	Entitled(ctx context.Context, v auth.Identity, courseID, instructorID string) (bool, error)
}
