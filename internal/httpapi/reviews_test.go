package httpapi_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/review"
)

// wantCode asserts an error answer's status and code.
func wantCode(t testing.TB, resp *apptest.Response, status int, code string) {
	t.Helper()
	apptest.WantError(t, resp, status, "")
	if got := resp.JSON(t)["code"]; got != code {
		t.Fatalf("%s %s: code %v, want %s", resp.Request.Method, resp.Request.URL.Path, got, code)
	}
}

// Who may review: only an enrolled student, not refunded, of a published
// course — never its instructor or an admin.
func TestReviewEntitlementMatrix(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	buyer := s.student(t, c)
	refunded := s.student(t, c)
	s.Unenrol(t, refunded.ID, c.ID) // a refund unenrols
	stranger := s.signUp(t, "student")
	otherInstructor := s.signUp(t, "instructor")
	admin := s.admin(t)
	body := map[string]any{"rating": 4, "comment": "Good"}

	wantCode(t, putReview(t, s, "", c.ID, body), http.StatusUnauthorized, "not_authenticated")
	wantCode(t, putReview(t, s, stranger.Token, c.ID, body), http.StatusForbidden, "review_not_entitled")
	wantCode(t, putReview(t, s, otherInstructor.Token, c.ID, body), http.StatusForbidden, "review_not_entitled")
	wantCode(t, putReview(t, s, refunded.Token, c.ID, body), http.StatusForbidden, "review_not_entitled")
	wantCode(t, putReview(t, s, c.Instructor.Token, c.ID, body), http.StatusForbidden, "review_own_course")
	wantCode(t, putReview(t, s, admin.Token, c.ID, body), http.StatusForbidden, "review_own_course")

	// The instructor enrolled in their own course still may not rate it.
	s.Enrol(t, c.Instructor.ID, c.ID)
	wantCode(t, putReview(t, s, c.Instructor.Token, c.ID, body), http.StatusForbidden, "review_own_course")

	created := reviewOf(t, putReview(t, s, buyer.Token, c.ID, body), http.StatusCreated)
	if created.Rating != 4 || created.Comment != "Good" || created.Status != "published" || created.User.ID != buyer.ID ||
		created.User.Name != buyer.Name || created.Course != c.ID || created.Reply != nil {
		t.Fatalf("created %+v", created)
	}
	replaced := reviewOf(t, putReview(t, s, buyer.Token, c.ID, map[string]any{"rating": 2}), http.StatusOK)
	if replaced.ID != created.ID || replaced.Rating != 2 || replaced.Comment != "" || !replaced.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("replaced %+v, created %+v", replaced, created)
	}
	if n := s.Count(t, "reviews", nil); n != 1 {
		t.Fatalf("%d reviews stored, want 1", n)
	}
	wantSummary(t, s, c.ID, 2, [5]int{0, 1, 0, 0, 0})

	// Unknown and unpublished courses.
	wantCode(t, putReview(t, s, buyer.Token, "0123456789abcdef01234567", body), http.StatusNotFound, "course_not_found")
	wantCode(t, putReview(t, s, buyer.Token, "nope", body), http.StatusBadRequest, "invalid_id")
	s.SetPublished(t, c.ID, false)
	wantCode(t, putReview(t, s, buyer.Token, c.ID, body), http.StatusForbidden, "review_course_unpublished")
	wantCode(t, putReview(t, s, stranger.Token, c.ID, body), http.StatusNotFound, "course_not_found")
}

func TestReviewBadInput(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	u := s.student(t, c)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "rating"},
		{map[string]any{"rating": 0}, "rating"},
		{map[string]any{"rating": 6}, "rating"},
		{map[string]any{"rating": 4.5}, "rating"},
		{map[string]any{"rating": nil}, "rating"},
		{map[string]any{"rating": 5, "comment": strings.Repeat("é", 2001)}, "comment"},
	} {
		wantValidation(t, putReview(t, s, u.Token, c.ID, tc.body), tc.field)
	}
	for _, body := range []any{
		map[string]any{"rating": "5"},
		map[string]any{"rating": 5, "comment": 12},
		map[string]any{"rating": 5, "comment": map[string]string{"$gt": ""}},
		map[string]any{"rating": 5, "user": u.ID},
		map[string]any{"rating": 5, "status": "published"},
	} {
		wantStatus(t, putReview(t, s, u.Token, c.ID, body), http.StatusBadRequest)
	}
	if n := s.Count(t, "reviews", nil); n != 0 {
		t.Fatalf("%d reviews stored after bad input", n)
	}

	// HTML is stored and answered as text, JSON-escaped, never as markup.
	html := `<script>alert(1)</script><b>bold</b> & more`
	resp := putReview(t, s, u.Token, c.ID, map[string]any{"rating": 5, "comment": html})
	if got := reviewOf(t, resp, http.StatusCreated); got.Comment != html {
		t.Fatalf("comment %q, want %q", got.Comment, html)
	}
	if strings.Contains(string(resp.Body), "<script>") {
		t.Errorf("raw markup in the JSON body: %s", resp.Body)
	}
	list := listReviews(t, s, reviewsPath(c.ID), "")
	if len(list.Reviews) != 1 || list.Reviews[0].Comment != html {
		t.Fatalf("list %+v", list)
	}
}

// Ten simultaneous PUTs of one student make one review: one 201, nine 200.
func TestReviewConcurrentPutsMakeOne(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	u := s.student(t, c)
	statuses := make(chan int, 10)
	done := make(chan struct{})
	for i := range 10 {
		go func() {
			defer func() { done <- struct{}{} }()
			statuses <- putReview(t, s, u.Token, c.ID, map[string]any{"rating": 1 + i%5}).StatusCode
		}()
	}
	for range 10 {
		<-done
	}
	close(statuses)
	var got []int
	for st := range statuses {
		got = append(got, st)
	}
	slices.Sort(got)
	if want := append(slices.Repeat([]int{200}, 9), 201); !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if n := s.Count(t, "reviews", nil); n != 1 {
		t.Fatalf("%d reviews stored, want 1", n)
	}
	mine := reviewOf(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, u.Token), http.StatusOK)
	hist := [5]int{}
	hist[mine.Rating-1] = 1
	wantSummary(t, s, c.ID, float64(mine.Rating), hist)
}

// seedRatings makes one student per rating review course c.
func seedRatings(t *testing.T, s *certServer, c certCourse, ratings ...int) []catalogUser {
	t.Helper()
	var out []catalogUser
	for _, r := range ratings {
		u := s.student(t, c)
		reviewOf(t, putReview(t, s, u.Token, c.ID, map[string]any{"rating": r, "comment": "stars"}), http.StatusCreated)
		out = append(out, u)
	}
	return out
}

func TestReviewListSummaryAndCards(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	seedRatings(t, s, c, 5, 4, 4, 1)
	wantSummary(t, s, c.ID, 3.5, [5]int{1, 0, 0, 2, 1})

	path := reviewsPath(c.ID)
	if got := listReviews(t, s, path, "").ratings(); !slices.Equal(got, []int{1, 4, 4, 5}) {
		t.Errorf("newest first %v", got)
	}
	if got := listReviews(t, s, path+"?sort=oldest", "").ratings(); !slices.Equal(got, []int{5, 4, 4, 1}) {
		t.Errorf("oldest first %v", got)
	}
	if got := listReviews(t, s, path+"?sort=highest", "").ratings(); !slices.Equal(got, []int{5, 4, 4, 1}) {
		t.Errorf("highest first %v", got)
	}
	if got := listReviews(t, s, path+"?sort=lowest", "").ratings(); !slices.Equal(got, []int{1, 4, 4, 5}) {
		t.Errorf("lowest first %v", got)
	}
	if got := listReviews(t, s, path+"?rating=4", "").ratings(); !slices.Equal(got, []int{4, 4}) {
		t.Errorf("rating=4 %v", got)
	}
	page := listReviews(t, s, path+"?sort=highest&page=2&limit=3", "")
	if !slices.Equal(page.ratings(), []int{1}) || page.Pagination.Total != 4 || page.Pagination.Pages != 2 {
		t.Errorf("page 2 of 3: %+v", page)
	}
	for q, field := range map[string]string{"rating=0": "rating", "rating=six": "rating", "sort=best": "sort", "limit=101": "limit", "page=0": "page"} {
		wantValidation(t, s.Do(t, http.MethodGet, path+"?"+q, nil, ""), field)
	}
	if body := string(s.Do(t, http.MethodGet, path, nil, "").Body); strings.Contains(body, "@catalog.test") {
		t.Errorf("an email in the list: %s", body)
	}

	// A draft's reviews are as hidden as the draft.
	wantCode(t, s.Do(t, http.MethodGet, reviewsPath("0123456789abcdef01234567"), nil, ""), http.StatusNotFound, "course_not_found")

	// Cards: published, search (minRating, sortBy=rating), the instructor's list.
	other := s.course(t, "Rated too", 1)
	seedRatings(t, s, other, 5, 4)
	s.course(t, "Rated never", 1)
	published := cardsOf(t, s.Do(t, http.MethodGet, catalogCourses+"/published", nil, ""))
	cards := map[string]courseCard{}
	for _, cc := range published.Courses {
		cards[cc.Title] = cc
	}
	if cards["Rated"].RatingAverage != 3.5 || cards["Rated"].RatingCount != 4 ||
		cards["Rated too"].RatingAverage != 4.5 || cards["Rated too"].RatingCount != 2 ||
		cards["Rated never"].RatingAverage != 0 || cards["Rated never"].RatingCount != 0 {
		t.Errorf("published cards %+v", cards)
	}
	found := cardsOf(t, s.Do(t, http.MethodGet, catalogCourses+"/search?query=rated&sortBy=rating", nil, ""))
	if got := found.titles(); !slices.Equal(got, []string{"Rated too", "Rated", "Rated never"}) {
		t.Errorf("sorted by rating: %v", got)
	}
	found = cardsOf(t, s.Do(t, http.MethodGet, catalogCourses+"/search?minRating=3.6", nil, ""))
	if got := found.titles(); !slices.Equal(got, []string{"Rated too"}) {
		t.Errorf("minRating=3.6: %v", got)
	}
	found = cardsOf(t, s.Do(t, http.MethodGet, catalogCourses+"/search?minRating=0&sortBy=title", nil, ""))
	if got := found.titles(); !slices.Equal(got, []string{"Rated", "Rated never", "Rated too"}) {
		t.Errorf("minRating=0: %v", got)
	}
	for q, field := range map[string]string{"minRating=6": "minRating", "minRating=-1": "minRating", "minRating=x": "minRating", "query=a&sortBy=stars": "sortBy"} {
		wantValidation(t, s.Do(t, http.MethodGet, catalogCourses+"/search?"+q, nil, ""), field)
	}
	mine := cardsOf(t, s.Do(t, http.MethodGet, catalogCourses+"/instructor", nil, c.Instructor.Token))
	if len(mine.Courses) != 1 || mine.Courses[0].RatingAverage != 3.5 || mine.Courses[0].RatingCount != 4 {
		t.Errorf("instructor's cards %+v", mine.Courses)
	}
}

// courseCard is the part of a course card the review tests read.
type courseCard struct {
	Title         string  `json:"title"`
	RatingAverage float64 `json:"ratingAverage"`
	RatingCount   int     `json:"ratingCount"`
}

type coursePageData struct {
	Courses []courseCard `json:"courses"`
}

// cardsOf decodes a 200 page of course cards (the contract check has
// validated the rest of each card).
func cardsOf(t testing.TB, resp *apptest.Response) coursePageData {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	var body struct {
		Data coursePageData `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("course page: %v %s", err, resp.Body)
	}
	return body.Data
}

func (p coursePageData) titles() []string {
	out := make([]string, len(p.Courses))
	for i, c := range p.Courses {
		out[i] = c.Title
	}
	return out
}

func TestReviewDeleteMine(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	users := seedRatings(t, s, c, 5, 3)
	wantSummary(t, s, c.ID, 4, [5]int{0, 0, 1, 0, 1})
	resp := s.Do(t, http.MethodDelete, reviewsPath(c.ID)+"/me", nil, users[0].Token)
	wantStatus(t, resp, http.StatusOK)
	if m := resp.JSON(t); m["status"] != "success" || m["message"] != "Review deleted" {
		t.Errorf("delete answer %v", m)
	}
	wantSummary(t, s, c.ID, 3, [5]int{0, 0, 1, 0, 0})
	wantCode(t, s.Do(t, http.MethodDelete, reviewsPath(c.ID)+"/me", nil, users[0].Token), http.StatusNotFound, "review_not_found")
	wantCode(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, users[0].Token), http.StatusNotFound, "review_not_found")
	wantCode(t, s.Do(t, http.MethodDelete, reviewsPath(c.ID)+"/me", nil, ""), http.StatusUnauthorized, "not_authenticated")
}

func TestReviewReplyPermissions(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	users := seedRatings(t, s, c, 4)
	rv := reviewOf(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, users[0].Token), http.StatusOK)
	replyPath := reviewsPath(c.ID) + "/" + rv.ID + "/reply"
	otherInstructor := s.signUp(t, "instructor")

	wantCode(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "no"}, users[0].Token), http.StatusForbidden, "review_reply_forbidden")
	wantCode(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "no"}, otherInstructor.Token), http.StatusForbidden, "review_reply_forbidden")
	wantCode(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "no"}, ""), http.StatusUnauthorized, "not_authenticated")
	wantValidation(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "  "}, c.Instructor.Token), "text")
	wantValidation(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": strings.Repeat("x", 2001)}, c.Instructor.Token), "text")

	first := reviewOf(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "Thanks!"}, c.Instructor.Token), http.StatusCreated)
	if first.Reply == nil || first.Reply.Text != "Thanks!" {
		t.Fatalf("reply %+v", first)
	}
	second := reviewOf(t, s.Do(t, http.MethodPut, replyPath, map[string]string{"text": "Thanks again"}, c.Instructor.Token), http.StatusOK)
	if second.Reply == nil || second.Reply.Text != "Thanks again" || !second.Reply.CreatedAt.Equal(first.Reply.CreatedAt) {
		t.Fatalf("replaced reply %+v", second.Reply)
	}
	list := listReviews(t, s, reviewsPath(c.ID), "")
	if len(list.Reviews) != 1 || list.Reviews[0].Reply == nil || list.Reviews[0].Reply.Text != "Thanks again" {
		t.Fatalf("list shows %+v", list.Reviews)
	}
	// A review of another course is not found under this one.
	d := s.course(t, "Other", 1)
	wantCode(t, s.Do(t, http.MethodPut, reviewsPath(d.ID)+"/"+rv.ID+"/reply", map[string]string{"text": "x"}, d.Instructor.Token), http.StatusNotFound, "review_not_found")
	wantCode(t, s.Do(t, http.MethodPut, reviewsPath(c.ID)+"/zz/reply", map[string]string{"text": "x"}, c.Instructor.Token), http.StatusBadRequest, "invalid_id")
}

func TestReviewReportAndModeration(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	users := seedRatings(t, s, c, 1, 5)
	bad := reviewOf(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, users[0].Token), http.StatusOK)
	reportPath := reviewsPath(c.ID) + "/" + bad.ID + "/report"
	reporter := s.signUp(t, "student")
	admin := s.admin(t)

	wantCode(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "spam"}, ""), http.StatusUnauthorized, "not_authenticated")
	wantValidation(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": ""}, reporter.Token), "reason")
	wantCode(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "mine"}, users[0].Token), http.StatusForbidden, "review_report_own")
	resp := s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "spam"}, reporter.Token)
	wantStatus(t, resp, http.StatusCreated)
	wantCode(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "spam again"}, reporter.Token), http.StatusConflict, "review_already_reported")
	wantStatus(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "rude"}, users[1].Token), http.StatusCreated)

	// Only admins list reported reviews and hide them.
	wantCode(t, s.Do(t, http.MethodGet, "/api/v1/reviews/reported", nil, reporter.Token), http.StatusForbidden, "forbidden_role")
	wantCode(t, s.Do(t, http.MethodGet, "/api/v1/reviews/reported", nil, c.Instructor.Token), http.StatusForbidden, "forbidden_role")
	reported := listReviews(t, s, "/api/v1/reviews/reported", admin.Token)
	if len(reported.Reviews) != 1 || reported.Reviews[0].ID != bad.ID || reported.Reviews[0].ReportCount != 2 ||
		len(reported.Reviews[0].Reports) != 2 || reported.Reviews[0].Reports[0].Reason != "spam" {
		t.Fatalf("reported %+v", reported)
	}
	modPath := reviewsPath(c.ID) + "/" + bad.ID
	for _, u := range []catalogUser{reporter, users[0], c.Instructor} {
		wantCode(t, s.Do(t, http.MethodPatch, modPath, map[string]bool{"hidden": true}, u.Token), http.StatusForbidden, "forbidden_role")
	}
	wantValidation(t, s.Do(t, http.MethodPatch, modPath, map[string]any{}, admin.Token), "hidden")

	var hidden reviewData
	decodeData(t, s.Do(t, http.MethodPatch, modPath, map[string]bool{"hidden": true}, admin.Token), http.StatusOK, &hidden)
	if hidden.Status != "hidden" || hidden.ReportCount != 2 {
		t.Fatalf("hidden %+v", hidden)
	}
	wantSummary(t, s, c.ID, 5, [5]int{0, 0, 0, 0, 1})
	if got := listReviews(t, s, reviewsPath(c.ID), "").ratings(); !slices.Equal(got, []int{5}) {
		t.Errorf("list after hiding %v", got)
	}
	if mine := reviewOf(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, users[0].Token), http.StatusOK); mine.Status != "hidden" {
		t.Errorf("the author sees %+v", mine)
	}
	// Editing does not unhide; a hidden review cannot be reported.
	reviewOf(t, putReview(t, s, users[0].Token, c.ID, map[string]any{"rating": 2}), http.StatusOK)
	wantSummary(t, s, c.ID, 5, [5]int{0, 0, 0, 0, 1})
	wantCode(t, s.Do(t, http.MethodPost, reportPath, map[string]string{"reason": "x"}, s.signUp(t, "student").Token), http.StatusNotFound, "review_not_found")

	decodeData(t, s.Do(t, http.MethodPatch, modPath, map[string]bool{"hidden": false}, admin.Token), http.StatusOK, &hidden)
	if hidden.Status != "published" {
		t.Fatalf("unhidden %+v", hidden)
	}
	wantSummary(t, s, c.ID, 3.5, [5]int{0, 1, 0, 0, 1})
}

func TestReviewDeletedWithAccount(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Rated", 1)
	users := seedRatings(t, s, c, 1, 5)
	wantStatus(t, s.Do(t, http.MethodDelete, "/api/v1/user/account", map[string]string{"password": catalogPassword}, users[0].Token), http.StatusOK)
	wantSummary(t, s, c.ID, 5, [5]int{0, 0, 0, 0, 1})
	if n := s.Count(t, "reviews", nil); n != 1 {
		t.Errorf("%d reviews stored, want 1", n)
	}
}

func TestReviewMinCompletion(t *testing.T) {
	s := certStart(t, map[string]string{"REVIEW_MIN_COMPLETION": "50"})
	c := s.course(t, "Rated", 2)
	u := s.student(t, c)
	resp := putReview(t, s, u.Token, c.ID, map[string]any{"rating": 5})
	wantCode(t, resp, http.StatusForbidden, "review_completion_required")
	if msg := resp.JSON(t)["message"]; msg != "Complete at least 50% of the course before reviewing it (0% done)" {
		t.Errorf("message %q", msg)
	}
	s.completeLectures(t, u, c, 1)
	reviewOf(t, putReview(t, s, u.Token, c.ID, map[string]any{"rating": 5}), http.StatusCreated)
}

// A full refund hides the buyer's review and takes it out of the summary;
// buying the course again shows it again.
func TestReviewHiddenByRefund(t *testing.T) {
	const secret = "whsec_reviews"
	s := certStart(t, map[string]string{
		"STRIPE_SECRET_KEY": "sk_test_reviews", "STRIPE_WEBHOOK_SECRET": secret,
		"STRIPE_API_BASE": "http://" + apptest.ClosedAddr(t),
		// The delivery answers once its event is applied.
		"WEBHOOK_ANSWER_WITHIN": "10s",
	})
	c := s.course(t, "Bought", 1)
	seedRatings(t, s, c, 5)
	u := s.signUp(t, "student")
	p := s.SeedPurchase(t, payment.Purchase{CourseID: c.ID, UserID: u.ID, Amount: 20, Status: payment.StatusCompleted, PaymentID: "cs_test_review", CompletedAt: time.Now()})
	s.Enrol(t, u.ID, c.ID)
	reviewOf(t, putReview(t, s, u.Token, c.ID, map[string]any{"rating": 1}), http.StatusCreated)
	wantSummary(t, s, c.ID, 3, [5]int{1, 0, 0, 0, 1})

	meta := map[string]string{payment.MetadataPurchaseID: p.ID, payment.MetadataUserID: u.ID, payment.MetadataCourseID: c.ID}
	s.deliverEvent(t, secret, map[string]any{
		"id": "evt_refund", "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(), "type": "charge.refunded",
		"data": map[string]any{"object": map[string]any{
			"id": "ch_" + p.ID, "object": "charge", "amount": p.AmountCents, "amount_refunded": p.AmountCents, "currency": "usd",
			"refunded": true, "status": "succeeded", "metadata": meta,
		}},
	})
	wantSummary(t, s, c.ID, 5, [5]int{0, 0, 0, 0, 1})
	if mine := reviewOf(t, s.Do(t, http.MethodGet, reviewsPath(c.ID)+"/me", nil, u.Token), http.StatusOK); mine.Status != "refunded" {
		t.Errorf("after the refund the buyer sees %+v", mine)
	}
	wantCode(t, putReview(t, s, u.Token, c.ID, map[string]any{"rating": 5}), http.StatusForbidden, "review_not_entitled")

	again := s.SeedPurchase(t, payment.Purchase{CourseID: c.ID, UserID: u.ID, Amount: 20, Status: payment.StatusPending, PaymentID: "cs_test_review_again"})
	meta[payment.MetadataPurchaseID] = again.ID
	s.deliverEvent(t, secret, map[string]any{
		"id": "evt_again", "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(), "type": "checkout.session.completed",
		"data": map[string]any{"object": map[string]any{
			"id": again.PaymentID, "object": "checkout.session", "amount_total": again.AmountCents, "currency": "usd",
			"payment_status": "paid", "status": "complete", "metadata": meta,
		}},
	})
	wantSummary(t, s, c.ID, 3, [5]int{1, 0, 0, 0, 1})
}

// Students write, rewrite and delete their reviews while an admin hides and
// unhides them, all at once through the API: afterwards the summary and
// the course card equal a recount of the stored visible reviews.
func TestReviewSummaryExactUnderConcurrentRequests(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Busy", 1)
	const students, ops = 6, 6
	var users []catalogUser
	for range students {
		users = append(users, s.student(t, c))
	}
	admin := s.admin(t)
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(2)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for range ops {
				if rng.IntN(4) == 0 {
					s.Do(t, http.MethodDelete, reviewsPath(c.ID)+"/me", nil, u.Token)
				} else {
					putReview(t, s, u.Token, c.ID, map[string]any{"rating": 1 + rng.IntN(5)})
				}
			}
		}()
		go func() { // the admin toggles this student's review
			defer wg.Done()
			for k := range ops {
				s.Do(t, http.MethodPatch, reviewsPath(c.ID)+"/"+review.IDFor(u.ID, c.ID), map[string]bool{"hidden": k%2 == 0}, admin.Token)
			}
		}()
	}
	wg.Wait()

	cur, err := s.Mongo.Collection("reviews").Find(context.Background(), bson.M{"hidden": false, "refunded": false})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		Rating int `bson:"rating"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	var want review.Summary
	for _, d := range docs {
		want.Add(d.Rating)
	}
	wantSummary(t, s, c.ID, want.Average(), want.Histogram)
}
