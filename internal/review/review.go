// Package review holds course reviews and ratings: only entitled students
// review a course (one review each), instructors reply, anyone reports,
// admins hide and unhide, and a full refund hides the buyer's review. Each
// course carries a rating summary that is recomputed from its visible
// reviews after every write (see Repository.Recount), so it never drifts.
// Who may use a course is enrolment's rule; this package only asks it.
package review

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// Errors of the use cases.
var (
	// ErrNotFound means no such review in this course (or not visible to the caller).
	ErrNotFound = apperr.New(apperr.NotFound, "review_not_found", "Review not found")
	// ErrNotEntitled means the caller is not an enrolled student of the course (never bought it, or refunded).
	ErrNotEntitled = apperr.New(apperr.Forbidden, "review_not_entitled", "Only enrolled students can review this course")
	// ErrOwnCourse means the caller manages the course: its instructor or an admin.
	ErrOwnCourse = apperr.New(apperr.Forbidden, "review_own_course", "Instructors and admins cannot review courses they manage")
	// ErrUnpublished means the course is not published.
	ErrUnpublished = apperr.New(apperr.Forbidden, "review_course_unpublished", "Only published courses can be reviewed")
	// ErrCompletionRequired means the caller has not completed enough of the course (REVIEW_MIN_COMPLETION).
	ErrCompletionRequired = apperr.New(apperr.Forbidden, "review_completion_required", "Complete more of the course before reviewing it")
	// ErrNotInstructor means only the course's instructor (or an admin) may reply.
	ErrNotInstructor = apperr.New(apperr.Forbidden, "review_reply_forbidden", "Only the instructor of this course may reply to its reviews")
	// ErrReportOwn means a user reported their own review.
	ErrReportOwn = apperr.New(apperr.Forbidden, "review_report_own", "You cannot report your own review")
	// ErrAlreadyReported means the caller reported this review before.
	ErrAlreadyReported = apperr.New(apperr.Conflict, "review_already_reported", "You have already reported this review")
	// ErrAdminOnly means only an admin may moderate.
	ErrAdminOnly = apperr.New(apperr.Forbidden, "admin_only", "Only an admin may do this")
)

// Limits of the texts.
const (
	MaxCommentRunes = 2000
	MaxReplyRunes   = 2000
	MaxReasonRunes  = 500
)

// Sort orders of a review list.
const (
	SortNewest  = "newest"
	SortOldest  = "oldest"
	SortHighest = "highest"
	SortLowest  = "lowest"
)

// Reviewer is what a review shows of its author: never the email.
type Reviewer struct {
	ID     string
	Name   string
	Avatar string // storage key
}

// Reply is the instructor's answer to a review.
type Reply struct {
	Text      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Report is one user's report of a review.
type Report struct {
	UserID string
	Reason string
	At     time.Time
}

// Review is one user's review of one course.
type Review struct {
	ID       string // IDFor(UserID, CourseID)
	CourseID string
	UserID   string
	Rating   int // 1..5
	Comment  string
	// Hidden is set by an admin; Refunded by a full refund of the
	// reviewer's purchase (a new purchase clears it). Either keeps the
	// review out of lists and the summary.
	Hidden    bool
	Refunded  bool
	Reply     *Reply
	Reports   []Report
	CreatedAt time.Time
	UpdatedAt time.Time
	// Reviewer is filled by the reads that show reviews.
	Reviewer Reviewer
}

// Visible reports whether the review counts: not hidden by an admin and
// not taken back by a refund.
func (r *Review) Visible() bool { return !r.Hidden && !r.Refunded }

// Status names the review's visibility for clients.
func (r *Review) Status() string {
	switch {
	case r.Hidden:
		return "hidden"
	case r.Refunded:
		return "refunded"
	}
	return "published"
}

// IDFor returns the id of userID's review of courseID: 24 hex digits of a
// SHA-256 of the pair. One id per pair makes "one review per user and
// course" a primary-key fact (concurrent first writes collide on it) and
// the caller's own review an _id lookup.
func IDFor(userID, courseID string) string {
	sum := sha256.Sum256([]byte("review\x00" + userID + "\x00" + courseID))
	return hex.EncodeToString(sum[:12])
}

// Summary is a course's rating: how many visible reviews gave each number
// of stars.
type Summary struct {
	// Histogram counts the visible reviews by rating: Histogram[0] is 1 star.
	Histogram [5]int
}

// Add counts a review of rating stars (1..5; others are ignored).
func (s *Summary) Add(rating int) {
	if rating >= 1 && rating <= 5 {
		s.Histogram[rating-1]++
	}
}

// Count is the number of visible reviews.
func (s Summary) Count() int {
	n := 0
	for _, c := range s.Histogram {
		n += c
	}
	return n
}

// Sum is the total of their stars.
func (s Summary) Sum() int {
	n := 0
	for i, c := range s.Histogram {
		n += (i + 1) * c
	}
	return n
}

// Average is the mean rating rounded to one decimal, 0 without reviews.
func (s Summary) Average() float64 {
	n := s.Count()
	if n == 0 {
		return 0
	}
	return math.Round(float64(s.Sum())*10/float64(n)) / 10
}
