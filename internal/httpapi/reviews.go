package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/review"
)

// reviewResponse is a review as lists and its author see it: the reviewer's
// name and avatar, never their email. Comments are plain text (JSON
// escapes <, > and &, and the API never serves them as HTML).
type reviewResponse struct {
	ID        string           `json:"_id"`
	Course    string           `json:"course"`
	User      reviewerResponse `json:"user"`
	Rating    int              `json:"rating"`
	Comment   string           `json:"comment"`
	Status    string           `json:"status"`
	Reply     *replyResponse   `json:"reply"`
	CreatedAt time.Time        `json:"createdAt"`
	UpdatedAt time.Time        `json:"updatedAt"`
}

type reviewerResponse struct {
	ID     string `json:"_id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
}

type replyResponse struct {
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// moderatedReviewResponse is a review as admins see it: with its reports.
type moderatedReviewResponse struct {
	reviewResponse
	ReportCount int              `json:"reportCount"`
	Reports     []reportResponse `json:"reports"`
}

type reportResponse struct {
	User       string    `json:"user"`
	Reason     string    `json:"reason"`
	ReportedAt time.Time `json:"reportedAt"`
}

type reviewEnvelope struct {
	Status string         `json:"status"`
	Data   reviewResponse `json:"data"`
}

type moderatedReviewEnvelope struct {
	Status string                  `json:"status"`
	Data   moderatedReviewResponse `json:"data"`
}

type reviewPage[T any] struct {
	Reviews    []T        `json:"reviews"`
	Pagination pagination `json:"pagination"`
}

type reviewPageEnvelope[T any] struct {
	Status string        `json:"status"`
	Data   reviewPage[T] `json:"data"`
}

type reviewSummaryResponse struct {
	Average   float64        `json:"average"`
	Count     int            `json:"count"`
	Histogram map[string]int `json:"histogram"` // "1".."5"
}

type reviewSummaryEnvelope struct {
	Status string                `json:"status"`
	Data   reviewSummaryResponse `json:"data"`
}

// statusMessage is an answer of a status and a message only (progress
// and reviews).
type statusMessage struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func (s *server) reviewResponse(r *review.Review) reviewResponse {
	out := reviewResponse{
		ID: r.ID, Course: r.CourseID, Rating: r.Rating, Comment: r.Comment, Status: r.Status(),
		User:      reviewerResponse{ID: r.Reviewer.ID, Name: r.Reviewer.Name, Avatar: s.media.ImageURL(r.Reviewer.Avatar)},
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.Reply != nil {
		out.Reply = &replyResponse{Text: r.Reply.Text, CreatedAt: r.Reply.CreatedAt.UTC(), UpdatedAt: r.Reply.UpdatedAt.UTC()}
	}
	return out
}

func (s *server) moderatedReviewResponse(r *review.Review) moderatedReviewResponse {
	out := moderatedReviewResponse{reviewResponse: s.reviewResponse(r), ReportCount: len(r.Reports), Reports: []reportResponse{}}
	for _, rep := range r.Reports {
		out.Reports = append(out.Reports, reportResponse{User: rep.UserID, Reason: rep.Reason, ReportedAt: rep.At.UTC()})
	}
	return out
}

// writeReviewPage writes a page of reviews with its pagination and Link header.
func writeReviewPage[T any](w http.ResponseWriter, r *http.Request, p *review.Page, item func(*review.Review) T) {
	body := reviewPage[T]{
		Reviews:    make([]T, len(p.Reviews)),
		Pagination: pagination{Page: p.Page, Limit: p.Limit, Total: p.Total, Pages: p.Pages()},
	}
	for i := range p.Reviews {
		body.Reviews[i] = item(&p.Reviews[i])
	}
	w.Header().Set("Link", pageLinks(r.URL, body.Pagination))
	writeJSON(w, http.StatusOK, reviewPageEnvelope[T]{Status: "success", Data: body})
}

// createdOrOK is the status of a PUT that created (201) or replaced (200).
func createdOrOK(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// reviewPath returns the course and review ids of a
// /courses/{courseId}/reviews/{reviewId} path.
func reviewPath(r *http.Request) (courseID, reviewID string, err error) {
	if courseID, err = pathID(r, "courseId", "course"); err != nil {
		return "", "", err
	}
	if reviewID, err = pathID(r, "reviewId", "review"); err != nil {
		return "", "", err
	}
	return courseID, reviewID, nil
}

func (s *server) putMyReview(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	var req struct {
		Rating  *float64 `json:"rating"`
		Comment *string  `json:"comment"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, _ := caller(r)
	rv, created, err := s.reviews.Put(r.Context(), v, courseID, review.Input{Rating: req.Rating, Comment: req.Comment})
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), reviewEnvelope{Status: "success", Data: s.reviewResponse(rv)})
	return nil
}

func (s *server) getMyReview(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	v, _ := caller(r)
	rv, err := s.reviews.Mine(r.Context(), v, courseID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reviewEnvelope{Status: "success", Data: s.reviewResponse(rv)})
	return nil
}

func (s *server) deleteMyReview(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	v, _ := caller(r)
	if err := s.reviews.DeleteMine(r.Context(), v, courseID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusMessage{Status: "success", Message: "Review deleted"})
	return nil
}

func (s *server) listReviews(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var fields []apperr.FieldError
	page, limit, err := paging(q)
	if e, ok := apperr.As(err); ok {
		fields = append(fields, e.Fields...)
	}
	query := review.Query{CourseID: courseID, Sort: q.Get("sort"), Page: page, Limit: limit}
	switch query.Sort {
	case "", review.SortNewest, review.SortOldest, review.SortHighest, review.SortLowest:
	default:
		fields = append(fields, apperr.FieldError{Field: "sort", Message: "must be one of newest, oldest, highest, lowest"})
	}
	if v := q.Get("rating"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			fields = append(fields, apperr.FieldError{Field: "rating", Message: "must be a whole number from 1 to 5"})
		}
		query.Rating = n
	}
	if err := apperr.Validation(fields); err != nil {
		return err
	}
	v, _ := caller(r)
	p, err := s.reviews.List(r.Context(), v, query)
	if err != nil {
		return err
	}
	writeReviewPage(w, r, p, s.reviewResponse)
	return nil
}

func (s *server) reviewSummary(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	v, _ := caller(r)
	sum, err := s.reviews.CourseSummary(r.Context(), v, courseID)
	if err != nil {
		return err
	}
	hist := make(map[string]int, len(sum.Histogram))
	for i, n := range sum.Histogram {
		hist[strconv.Itoa(i+1)] = n
	}
	writeJSON(w, http.StatusOK, reviewSummaryEnvelope{Status: "success",
		Data: reviewSummaryResponse{Average: sum.Average(), Count: sum.Count(), Histogram: hist}})
	return nil
}

func (s *server) replyToReview(w http.ResponseWriter, r *http.Request) error {
	courseID, reviewID, err := reviewPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Text string `json:"text"` // absent is "", which the service refuses
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, _ := caller(r)
	rv, created, err := s.reviews.Reply(r.Context(), v, courseID, reviewID, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), reviewEnvelope{Status: "success", Data: s.reviewResponse(rv)})
	return nil
}

func (s *server) reportReview(w http.ResponseWriter, r *http.Request) error {
	courseID, reviewID, err := reviewPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"` // absent is "", which the service refuses
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, _ := caller(r)
	if err := s.reviews.Report(r.Context(), v, courseID, reviewID, req.Reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, statusMessage{Status: "success", Message: "Review reported"})
	return nil
}

func (s *server) moderateReview(w http.ResponseWriter, r *http.Request) error {
	courseID, reviewID, err := reviewPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Hidden *bool `json:"hidden"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Hidden == nil {
		return apperr.Validation([]apperr.FieldError{{Field: "hidden", Message: "hidden is required and must be true or false"}})
	}
	v, _ := caller(r)
	rv, err := s.reviews.SetHidden(r.Context(), v, courseID, reviewID, *req.Hidden)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, moderatedReviewEnvelope{Status: "success", Data: s.moderatedReviewResponse(rv)})
	return nil
}

func (s *server) reportedReviews(w http.ResponseWriter, r *http.Request) error {
	page, limit, err := paging(r.URL.Query())
	if err != nil {
		return err
	}
	v, _ := caller(r)
	p, err := s.reviews.Reported(r.Context(), v, page, limit)
	if err != nil {
		return err
	}
	writeReviewPage(w, r, p, s.moderatedReviewResponse)
	return nil
}
