// Package progress tracks how far a user is through a course: one record per
// (user, course) with an entry per lecture. The rule that derives the
// completion percentage from the entries is a pure function here; the
// repository applies it on every write, so no stored record is inconsistent.
package progress

import (
	"slices"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// Errors of the use cases.
var (
	// ErrRecordNotFound means the user has no record for the course.
	ErrRecordNotFound = apperr.New(apperr.NotFound, "progress_not_found", "Course progress not found")
	// ErrLectureNotInCourse means the lecture is not a current lecture of the course.
	ErrLectureNotInCourse = apperr.New(apperr.Invalid, "lecture_not_in_course", "Lecture does not belong to this course")
	// ErrBusy means a record kept changing under an update until the
	// repository gave up retrying.
	ErrBusy = apperr.New(apperr.Conflict, "progress_busy", "Course progress is being changed by another request; please retry")
	// ErrNotEntitled means the caller may see the course but not use it
	// (not enrolled): only entitled callers report a position.
	ErrNotEntitled = apperr.New(apperr.Forbidden, "progress_not_entitled", "You are not enrolled in this course")
)

// LectureProgress is where a user is with one lecture.
type LectureProgress struct {
	LectureID   string
	IsCompleted bool
	LastWatched *time.Time // nil when never watched, or since a reset
	// Position is where the player last was in the video, in seconds.
	Position float64
	// WatchedSeconds is the time spent watching, as the position reports
	// prove it (see ReportPosition).
	WatchedSeconds float64
}

// Record is a user's progress through a course.
type Record struct {
	ID                   string
	UserID               string
	CourseID             string
	Lectures             []LectureProgress // in the course's lecture order
	CompletionPercentage int               // 0–100
	IsCompleted          bool              // CompletionPercentage == 100
	LastAccessed         time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// Recompute is the completion rule: round(100 × completed / lectures) over
// the course's current lectures, 0 when it has none, completed at 100 %.
// Entries of lectures that are no longer in the course never count, and a
// lecture counts once however many entries name it.
func Recompute(entries []LectureProgress, current []string) (percentage int, completed bool) {
	if len(current) == 0 {
		return 0, false
	}
	isCurrent := make(map[string]bool, len(current))
	for _, id := range current {
		isCurrent[id] = true
	}
	done := make(map[string]bool, len(entries))
	for _, e := range entries {
		if e.IsCompleted && isCurrent[e.LectureID] {
			done[e.LectureID] = true
		}
	}
	total := len(isCurrent)
	// round half up in integers: floor(100·done/total + 1/2)
	percentage = (200*len(done) + total) / (2 * total)
	return percentage, percentage == 100
}

// LectureIDs returns the lectures r has entries for, in order.
func (r *Record) LectureIDs() []string {
	ids := make([]string, len(r.Lectures))
	for i, e := range r.Lectures {
		ids[i] = e.LectureID
	}
	return ids
}

// NewRecord returns a fresh record with one entry per current lecture, none
// completed.
func NewRecord(userID, courseID string, current []string, now time.Time) *Record {
	r := &Record{UserID: userID, CourseID: courseID, LastAccessed: now, CreatedAt: now, UpdatedAt: now}
	r.Refresh(current)
	return r
}

// Refresh makes r agree with the course's current lectures, in their order:
// a lecture added since gets an entry (not completed), the entry of a
// deleted lecture goes, and the percentage is recomputed.
func (r *Record) Refresh(current []string) {
	byID := make(map[string]LectureProgress, len(r.Lectures))
	for _, e := range r.Lectures {
		if old, seen := byID[e.LectureID]; !seen || !old.IsCompleted {
			byID[e.LectureID] = e
		}
	}
	entries := make([]LectureProgress, 0, len(current))
	for _, id := range current {
		e, ok := byID[id]
		if !ok {
			e = LectureProgress{LectureID: id}
		}
		entries = append(entries, e)
		delete(byID, id) // a lecture listed twice keeps one entry
	}
	r.Lectures = entries
	r.CompletionPercentage, r.IsCompleted = Recompute(r.Lectures, current)
}

// SetLecture marks one lecture completed or not and records that it was
// watched now. The lecture must have an entry (Refresh first).
func (r *Record) SetLecture(lectureID string, completed bool, now time.Time) error {
	i := slices.IndexFunc(r.Lectures, func(e LectureProgress) bool { return e.LectureID == lectureID })
	if i < 0 {
		return ErrLectureNotInCourse
	}
	r.Lectures[i].IsCompleted = completed
	r.Lectures[i].LastWatched = &now
	return nil
}

// Complete marks every lecture completed.
func (r *Record) Complete() {
	for i := range r.Lectures {
		r.Lectures[i].IsCompleted = true
	}
}

// Reset marks every lecture not completed and never watched, back at its
// start.
func (r *Record) Reset() {
	for i := range r.Lectures {
		r.Lectures[i] = LectureProgress{LectureID: r.Lectures[i].LectureID}
	}
}

// SectionProgress is how far a user is through one section of a course.
type SectionProgress struct {
	SectionID            string
	Title                string
	CompletedLectures    int
	TotalLectures        int
	CompletionPercentage int // by Recompute's rule, over the section's lectures
	IsCompleted          bool
}

// BySection returns the completion of each section of a course, in order,
// from a record refreshed against the course's lectures.
func BySection(r *Record, sections []course.Section) []SectionProgress {
	if len(sections) == 0 {
		return nil
	}
	done := map[string]bool{}
	for _, e := range r.Lectures {
		if e.IsCompleted {
			done[e.LectureID] = true
		}
	}
	out := make([]SectionProgress, len(sections))
	for i, s := range sections {
		p := SectionProgress{SectionID: s.ID, Title: s.Title, TotalLectures: len(s.LectureIDs)}
		for _, id := range s.LectureIDs {
			if done[id] {
				p.CompletedLectures++
			}
		}
		p.CompletionPercentage, p.IsCompleted = Recompute(r.Lectures, s.LectureIDs)
		out[i] = p
	}
	return out
}

// ReportPosition records that the player is at seconds in a lecture (whose
// video lasts duration seconds) now. The watched time grows by how far the
// position moved forward, but never by more than the wall time since the
// record's previous write (LastAccessed, which the repository sets on
// every write): a client cannot report more watching than time has passed,
// whatever it sends, and reports sent at once share one interval. A jump
// back (re-watching) adds nothing until the position moves forward again.
//
// With autoComplete > 0, the report whose watched time first reaches
// autoComplete × duration marks the lecture completed (only that report,
// so a lecture the student marked not completed stays so).
func (r *Record) ReportPosition(lectureID string, seconds, duration, autoComplete float64, now time.Time) error {
	i := slices.IndexFunc(r.Lectures, func(e LectureProgress) bool { return e.LectureID == lectureID })
	if i < 0 {
		return ErrLectureNotInCourse
	}
	e := &r.Lectures[i]
	elapsed := max(now.Sub(r.LastAccessed).Seconds(), 0)
	before := e.WatchedSeconds
	e.WatchedSeconds += min(max(seconds-e.Position, 0), elapsed)
	e.Position = seconds
	e.LastWatched = &now
	if threshold := autoComplete * duration; threshold > 0 && before < threshold && e.WatchedSeconds >= threshold {
		e.IsCompleted = true
	}
	return nil
}

// Resume is where a student continues a course.
type Resume struct {
	LectureID string
	Position  float64
}

// Resume returns where to continue: the lecture last watched unless it is
// completed, else the first lecture not completed, else (all completed)
// the lecture last watched or the first. It is nil for a course without
// lectures.
func (r *Record) Resume() *Resume {
	if len(r.Lectures) == 0 {
		return nil
	}
	last := -1
	for i, e := range r.Lectures {
		if e.LastWatched != nil && (last < 0 || e.LastWatched.After(*r.Lectures[last].LastWatched)) {
			last = i
		}
	}
	at := last
	if at < 0 || r.Lectures[at].IsCompleted {
		if next := slices.IndexFunc(r.Lectures, func(e LectureProgress) bool { return !e.IsCompleted }); next >= 0 {
			at = next
		}
	}
	at = max(at, 0)
	return &Resume{LectureID: r.Lectures[at].LectureID, Position: r.Lectures[at].Position}
}
