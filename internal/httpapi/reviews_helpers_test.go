package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// Shared by the review tests (reviews_test.go). Courses and enrolments are
// seeded with the certificate tests' helpers; reviews go through the API.

// reviewsPath is the reviews collection of a course.
func reviewsPath(courseID string) string { return catalogCourses + "/" + courseID + "/reviews" }

// putReview sends the caller's review of a course.
func putReview(t testing.TB, s *certServer, token, courseID string, body any) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPut, reviewsPath(courseID)+"/me", body, token)
}

// reviewData is a review as the API answers it.
type reviewData struct {
	ID     string `json:"_id"`
	Course string `json:"course"`
	User   struct {
		ID     string `json:"_id"`
		Name   string `json:"name"`
		Avatar string `json:"avatar"`
	} `json:"user"`
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
	Status  string `json:"status"`
	Reply   *struct {
		Text      string    `json:"text"`
		CreatedAt time.Time `json:"createdAt"`
		UpdatedAt time.Time `json:"updatedAt"`
	} `json:"reply"`
	ReportCount int `json:"reportCount"`
	Reports     []struct {
		User       string    `json:"user"`
		Reason     string    `json:"reason"`
		ReportedAt time.Time `json:"reportedAt"`
	} `json:"reports"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// decodeData checks status and decodes {"status":"success","data":…}
// strictly into data.
func decodeData(t testing.TB, resp *apptest.Response, status int, data any) {
	t.Helper()
	wantStatus(t, resp, status)
	wantJSON(t, resp)
	body := struct {
		Status string `json:"status"`
		Data   any    `json:"data"`
	}{Data: data}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("body: %v %s", err, resp.Body)
	}
}

// reviewOf decodes a review answer.
func reviewOf(t testing.TB, resp *apptest.Response, status int) reviewData {
	t.Helper()
	var r reviewData
	decodeData(t, resp, status, &r)
	return r
}

// reviewList is a page of reviews.
type reviewList struct {
	Reviews    []reviewData `json:"reviews"`
	Pagination struct {
		Page, Limit  int
		Total, Pages int64
	} `json:"pagination"`
}

// listReviews reads a page of reviews at path (with its query).
func listReviews(t testing.TB, s *certServer, path, token string) reviewList {
	t.Helper()
	var l reviewList
	decodeData(t, s.Do(t, http.MethodGet, path, nil, token), http.StatusOK, &l)
	return l
}

// ratings returns the ratings of a list, in order.
func (l reviewList) ratings() []int {
	out := make([]int, len(l.Reviews))
	for i, r := range l.Reviews {
		out[i] = r.Rating
	}
	return out
}

// reviewSummary is a course's summary as the API answers it.
type reviewSummary struct {
	Average   float64        `json:"average"`
	Count     int            `json:"count"`
	Histogram map[string]int `json:"histogram"`
}

// summaryOf reads a course's rating summary anonymously.
func summaryOf(t testing.TB, s *certServer, courseID string) reviewSummary {
	t.Helper()
	var sum reviewSummary
	decodeData(t, s.Do(t, http.MethodGet, reviewsPath(courseID)+"/summary", nil, ""), http.StatusOK, &sum)
	return sum
}

// wantSummary checks a course's summary and its card's ratingAverage and
// ratingCount on its page.
func wantSummary(t testing.TB, s *certServer, courseID string, average float64, hist [5]int) {
	t.Helper()
	sum := summaryOf(t, s, courseID)
	count := 0
	for i, n := range hist {
		count += n
		if got := sum.Histogram[string(rune('1'+i))]; got != n {
			t.Errorf("histogram[%d] = %d, want %d (%+v)", i+1, got, n, sum)
		}
	}
	if sum.Average != average || sum.Count != count {
		t.Errorf("summary %+v, want average %v count %d", sum, average, count)
	}
	page := s.getCourse(t, "", courseID)
	if page["ratingAverage"] != average || page["ratingCount"] != float64(count) {
		t.Errorf("course page rating %v from %v, want %v from %d", page["ratingAverage"], page["ratingCount"], average, count)
	}
}
