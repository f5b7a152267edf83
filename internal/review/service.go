package review

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/progress"
)

// Repository stores reviews and each course's rating summary. A missing
// review is ErrNotFound.
type Repository interface {
	// Put creates r (by r.ID), or replaces the rating, comment and
	// UpdatedAt of the review with that id; created reports which.
	Put(ctx context.Context, r *Review) (created bool, err error)
	// ByID returns a review with its reviewer.
	ByID(ctx context.Context, id string) (*Review, error)
	// Delete deletes a review and reports whether it existed.
	Delete(ctx context.Context, id string) (bool, error)
	// List returns one page of a course's visible reviews, with their
	// reviewers, and the number of all that match.
	List(ctx context.Context, q Query) ([]Review, int64, error)
	// Reported returns one page of the reviews that someone reported,
	// most reported first, and their number.
	Reported(ctx context.Context, page, limit int) ([]Review, int64, error)
	// ByUser returns the user's reviews.
	ByUser(ctx context.Context, userID string) ([]Review, error)
	// SetHidden hides or unhides a review (a moderator's decision).
	SetHidden(ctx context.Context, id string, hidden bool) error
	// SetRefunded marks a review as taken back by a refund, or not; it
	// reports whether a review changed (none, or one already so: false).
	SetRefunded(ctx context.Context, id string, refunded bool) (bool, error)
	// SetReply sets the review's reply (creating or replacing it); it
	// reports whether there was none before.
	SetReply(ctx context.Context, id, text string, now time.Time) (created bool, err error)
	// AddReport adds a report unless the same user reported the review
	// before; it reports whether it added it.
	AddReport(ctx context.Context, id string, rep Report) (bool, error)
	// Recount recomputes the course's summary from its visible reviews and
	// stores it on the course. A recount that started earlier never
	// overwrites one that started later, so after concurrent writes, each
	// followed by a recount, the summary agrees with the reviews.
	Recount(ctx context.Context, courseID string) error
	// Summary returns the summary stored on the course.
	Summary(ctx context.Context, courseID string) (Summary, error)
}

// Query selects a page of a course's visible reviews.
type Query struct {
	CourseID    string
	Rating      int // 0: any
	Sort        string
	Page, Limit int
}

// Page is one page of reviews.
type Page struct {
	Reviews     []Review
	Total       int64
	Page, Limit int
}

// Pages is the number of pages.
func (p Page) Pages() int64 { return (p.Total + int64(p.Limit) - 1) / int64(p.Limit) }

// Catalog returns a course the caller may see (course.Service) and forgets
// a course whose rating changed, so that pages show the new one.
type Catalog interface {
	Visible(ctx context.Context, v auth.Identity, courseID string) (*course.Course, error)
	Forget(courseID string)
}

// Enrolments answers whether a user is enrolled in a course (enrolment.Service).
type Enrolments interface {
	IsEnrolled(ctx context.Context, userID, courseID string) (bool, error)
}

// Progress reads a user's progress record for a course
// (progress.ErrRecordNotFound when there is none).
type Progress interface {
	Find(ctx context.Context, userID, courseID string, lectures []string) (*progress.Record, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Repo       Repository
	Catalog    Catalog
	Enrolments Enrolments
	Progress   Progress
	// MinCompletion is the completion percentage (0..100) a student needs
	// to review a course (REVIEW_MIN_COMPLETION); 0 asks for none.
	MinCompletion int
	Now           func() time.Time // time.Now when nil
}

// Service runs the review use cases.
type Service struct {
	d Deps
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// Input is a review as a client sends it; nil fields are absent.
type Input struct {
	Rating  *float64
	Comment *string
}

// validate checks a review's rating (an integer 1..5) and comment (at most
// MaxCommentRunes characters of valid text, trimmed).
func validate(in Input) (rating int, comment string, err error) {
	var fields []apperr.FieldError
	if in.Rating == nil || *in.Rating != math.Trunc(*in.Rating) || *in.Rating < 1 || *in.Rating > 5 {
		fields = append(fields, apperr.FieldError{Field: "rating", Message: "rating is required and must be a whole number from 1 to 5"})
	} else {
		rating = int(*in.Rating)
	}
	if in.Comment != nil {
		comment = strings.TrimSpace(*in.Comment)
		if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > MaxCommentRunes {
			fields = append(fields, apperr.FieldError{Field: "comment", Message: fmt.Sprintf("comment must be text of at most %d characters", MaxCommentRunes)})
		}
	}
	return rating, comment, apperr.Validation(fields)
}

// text checks a required text field of 1..maxRunes characters after trimming.
func text(field, value string, maxRunes int) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" || !utf8.ValidString(value) || utf8.RuneCountInString(value) > maxRunes {
		return "", apperr.Validation([]apperr.FieldError{{Field: field,
			Message: fmt.Sprintf("%s is required and must be at most %d characters", field, maxRunes)}})
	}
	return value, nil
}

// Put creates or replaces the caller's review of a course. Only an enrolled
// student (whose purchase was not refunded) of a published course may
// review it — not its instructor, not an admin — after completing
// MinCompletion percent of it. created is true for the call that created
// the review.
func (s *Service) Put(ctx context.Context, v auth.Identity, courseID string, in Input) (*Review, bool, error) {
	rating, comment, err := validate(in)
	if err != nil {
		return nil, false, err
	}
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, false, err
	}
	if err := s.mayReview(ctx, v, c); err != nil {
		return nil, false, err
	}
	now := s.now()
	r := &Review{ID: IDFor(v.UserID, c.ID), CourseID: c.ID, UserID: v.UserID, Rating: rating, Comment: comment,
		CreatedAt: now, UpdatedAt: now}
	created, err := s.d.Repo.Put(ctx, r)
	if err != nil {
		return nil, false, fmt.Errorf("store review: %w", err)
	}
	// A refund settled between the check and the write found no review
	// to hide: look again, and take the review back as the refund would.
	if ok, err := s.d.Enrolments.IsEnrolled(ctx, v.UserID, c.ID); err != nil {
		return nil, false, fmt.Errorf("check enrolment: %w", err)
	} else if !ok {
		if _, err := s.d.Repo.SetRefunded(ctx, r.ID, true); err != nil {
			return nil, false, fmt.Errorf("hide review: %w", err)
		}
	}
	if err := s.recount(ctx, c.ID); err != nil {
		return nil, false, err
	}
	stored, err := s.d.Repo.ByID(ctx, r.ID)
	if err != nil {
		return nil, false, fmt.Errorf("read review: %w", err)
	}
	return stored, created, nil
}

// mayReview applies the reviewing rule to course c.
func (s *Service) mayReview(ctx context.Context, v auth.Identity, c *course.Course) error {
	if !c.IsPublished {
		return ErrUnpublished
	}
	if enrolment.Owns(v, c.InstructorID) {
		return ErrOwnCourse
	}
	enrolled, err := s.d.Enrolments.IsEnrolled(ctx, v.UserID, c.ID)
	if err != nil {
		return fmt.Errorf("check enrolment: %w", err)
	}
	if !enrolled {
		return ErrNotEntitled
	}
	if s.d.MinCompletion <= 0 {
		return nil
	}
	pct := 0
	rec, err := s.d.Progress.Find(ctx, v.UserID, c.ID, c.LectureIDs)
	switch {
	case err == nil:
		pct = rec.CompletionPercentage
	case !errors.Is(err, progress.ErrRecordNotFound):
		return fmt.Errorf("find progress: %w", err)
	}
	if pct < s.d.MinCompletion {
		e := *ErrCompletionRequired
		e.Message = fmt.Sprintf("Complete at least %d%% of the course before reviewing it (%d%% done)", s.d.MinCompletion, pct)
		return &e
	}
	return nil
}

// recount brings the course's summary up to date and drops the cached course.
func (s *Service) recount(ctx context.Context, courseID string) error {
	if err := s.d.Repo.Recount(ctx, courseID); err != nil {
		return fmt.Errorf("recount ratings: %w", err)
	}
	s.d.Catalog.Forget(courseID)
	return nil
}

// Mine returns the caller's review of a course, whatever its status.
func (s *Service) Mine(ctx context.Context, v auth.Identity, courseID string) (*Review, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	return s.d.Repo.ByID(ctx, IDFor(v.UserID, c.ID))
}

// DeleteMine deletes the caller's review of a course.
func (s *Service) DeleteMine(ctx context.Context, v auth.Identity, courseID string) error {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return err
	}
	deleted, err := s.d.Repo.Delete(ctx, IDFor(v.UserID, c.ID))
	if err != nil {
		return fmt.Errorf("delete review: %w", err)
	}
	if !deleted {
		return ErrNotFound
	}
	return s.recount(ctx, c.ID)
}

// List returns a page of a visible course's visible reviews.
func (s *Service) List(ctx context.Context, v auth.Identity, q Query) (*Page, error) {
	c, err := s.d.Catalog.Visible(ctx, v, q.CourseID)
	if err != nil {
		return nil, err
	}
	q.CourseID = c.ID
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	list, total, err := s.d.Repo.List(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	return &Page{Reviews: list, Total: total, Page: q.Page, Limit: q.Limit}, nil
}

// CourseSummary returns the rating summary of a course the caller may see.
func (s *Service) CourseSummary(ctx context.Context, v auth.Identity, courseID string) (Summary, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return Summary{}, err
	}
	return s.Summary(ctx, c.ID)
}

// Summary returns a course's rating summary, for other services (no
// visibility check): Average and Count are what course cards show.
func (s *Service) Summary(ctx context.Context, courseID string) (Summary, error) {
	sum, err := s.d.Repo.Summary(ctx, courseID)
	if err != nil {
		return Summary{}, fmt.Errorf("read rating summary: %w", err)
	}
	return sum, nil
}

// inCourse returns a review of a course the caller may see; a review of
// another course is not found.
func (s *Service) inCourse(ctx context.Context, v auth.Identity, courseID, reviewID string) (*course.Course, *Review, error) {
	c, err := s.d.Catalog.Visible(ctx, v, courseID)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.d.Repo.ByID(ctx, reviewID)
	if err != nil {
		return nil, nil, err
	}
	if r.CourseID != c.ID {
		return nil, nil, ErrNotFound
	}
	return c, r, nil
}

// Reply sets the reply of the course's instructor (or an admin) to a
// review: one reply per review, which a later call replaces. created is
// true when there was none.
func (s *Service) Reply(ctx context.Context, v auth.Identity, courseID, reviewID, reply string) (*Review, bool, error) {
	reply, err := text("text", reply, MaxReplyRunes)
	if err != nil {
		return nil, false, err
	}
	c, r, err := s.inCourse(ctx, v, courseID, reviewID)
	if err != nil {
		return nil, false, err
	}
	if !enrolment.Owns(v, c.InstructorID) {
		return nil, false, ErrNotInstructor
	}
	created, err := s.d.Repo.SetReply(ctx, r.ID, reply, s.now())
	if err != nil {
		return nil, false, fmt.Errorf("store reply: %w", err)
	}
	r, err = s.d.Repo.ByID(ctx, r.ID)
	return r, created, err
}

// Report records the caller's report of a visible review, once per user.
func (s *Service) Report(ctx context.Context, v auth.Identity, courseID, reviewID, reason string) error {
	reason, err := text("reason", reason, MaxReasonRunes)
	if err != nil {
		return err
	}
	_, r, err := s.inCourse(ctx, v, courseID, reviewID)
	if err != nil {
		return err
	}
	if !r.Visible() && v.Role != auth.RoleAdmin {
		return ErrNotFound
	}
	if r.UserID == v.UserID {
		return ErrReportOwn
	}
	added, err := s.d.Repo.AddReport(ctx, r.ID, Report{UserID: v.UserID, Reason: reason, At: s.now()})
	if err != nil {
		return fmt.Errorf("store report: %w", err)
	}
	if !added {
		return ErrAlreadyReported
	}
	return nil
}

// SetHidden hides or unhides a review (admins only); the summary follows.
func (s *Service) SetHidden(ctx context.Context, v auth.Identity, courseID, reviewID string, hidden bool) (*Review, error) {
	if v.Role != auth.RoleAdmin {
		return nil, ErrAdminOnly
	}
	c, r, err := s.inCourse(ctx, v, courseID, reviewID)
	if err != nil {
		return nil, err
	}
	if err := s.d.Repo.SetHidden(ctx, r.ID, hidden); err != nil {
		return nil, fmt.Errorf("hide review: %w", err)
	}
	if err := s.recount(ctx, c.ID); err != nil {
		return nil, err
	}
	return s.d.Repo.ByID(ctx, r.ID)
}

// Reported returns a page of reported reviews, most reported first
// (admins only); hidden ones included.
func (s *Service) Reported(ctx context.Context, v auth.Identity, page, limit int) (*Page, error) {
	if v.Role != auth.RoleAdmin {
		return nil, ErrAdminOnly
	}
	list, total, err := s.d.Repo.Reported(ctx, page, limit)
	if err != nil {
		return nil, fmt.Errorf("list reported reviews: %w", err)
	}
	return &Page{Reviews: list, Total: total, Page: page, Limit: limit}, nil
}

// HideRefunded takes the user's review of a course out of lists and the
// summary because its purchase was refunded in full. Idempotent: a retried
// settlement calls it again, and it recounts every time.
func (s *Service) HideRefunded(ctx context.Context, userID, courseID string) error {
	return s.setRefunded(ctx, userID, courseID, true)
}

// RestorePurchased shows the user's review again when a refund hid it and
// the course was bought again (an admin's hiding stays). Idempotent.
func (s *Service) RestorePurchased(ctx context.Context, userID, courseID string) error {
	return s.setRefunded(ctx, userID, courseID, false)
}

func (s *Service) setRefunded(ctx context.Context, userID, courseID string, refunded bool) error {
	changed, err := s.d.Repo.SetRefunded(ctx, IDFor(userID, courseID), refunded)
	if err != nil {
		return fmt.Errorf("mark review refunded=%t: %w", refunded, err)
	}
	if !changed && !refunded {
		return nil
	}
	// A refund recounts even when nothing changed: a retry after a failed
	// recount must still correct the summary.
	return s.recount(ctx, courseID)
}

// DeleteByUser deletes the user's reviews, as deleting the account does,
// and recounts the courses they were about.
func (s *Service) DeleteByUser(ctx context.Context, userID string) error {
	list, err := s.d.Repo.ByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("list reviews: %w", err)
	}
	for _, r := range list {
		if _, err := s.d.Repo.Delete(ctx, r.ID); err != nil {
			return fmt.Errorf("delete review: %w", err)
		}
		if err := s.recount(ctx, r.CourseID); err != nil {
			return err
		}
	}
	return nil
}
