package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
)

// Shared by the certificate tests (certificates_test.go). Courses, lectures
// and enrolments are seeded through the repositories (apptest/seed.go);
// progress goes through the progress API, so a certificate is only ever
// issued for what the service itself recorded.

const (
	certBase       = "/api/v1/certificates"
	certVerifyBase = certBase + "/verify/"
	certPageBase   = "/certificates/"
	certPublicURL  = "https://lms.example.test"
)

// certServer is a running service with the catalog helpers (sign-up, admin).
type certServer struct {
	*catalogServer
}

// certStart starts the service with PUBLIC_URL certPublicURL and overrides.
func certStart(t testing.TB, overrides map[string]string) *certServer {
	t.Helper()
	env := map[string]string{"PUBLIC_URL": certPublicURL, "CERTIFICATE_ISSUER": "Test Academy"}
	for k, v := range overrides {
		env[k] = v
	}
	return &certServer{catalogStart(t, env)}
}

// certCourse is a seeded course with its lectures and instructor.
type certCourse struct {
	ID         string
	Title      string
	Lectures   []string
	Instructor catalogUser
}

// course seeds a course by a new instructor with n lectures of 90 s each;
// it is published when it has a lecture.
func (s *certServer) course(t testing.TB, title string, n int) certCourse {
	t.Helper()
	inst := s.signUp(t, "instructor")
	c := s.SeedCourse(t, course.Course{Title: title, InstructorID: inst.ID})
	out := certCourse{ID: c.ID, Title: title, Instructor: inst}
	for i := 1; i <= n; i++ {
		out.Lectures = append(out.Lectures, s.SeedLecture(t, course.Lecture{CourseID: c.ID, Order: i, Duration: 90}).ID)
	}
	if n > 0 {
		s.SetPublished(t, c.ID, true)
	}
	return out
}

// addLecture adds a lecture of 90 s at the end of c.
func (s *certServer) addLecture(t testing.TB, c *certCourse) {
	t.Helper()
	l := s.SeedLecture(t, course.Lecture{CourseID: c.ID, Order: len(c.Lectures) + 1, Duration: 90})
	c.Lectures = append(c.Lectures, l.ID)
}

// renameCourse changes a course's title through the course repository.
func (s *certServer) renameCourse(t testing.TB, courseID, title string) {
	t.Helper()
	if _, _, err := mongodb.NewCourseRepo(s.App.DB).Update(context.Background(), courseID, course.Changes{Title: &title}, time.Now()); err != nil {
		t.Fatalf("rename course: %v", err)
	}
}

// student signs up a student and enrols them in c.
func (s *certServer) student(t testing.TB, c certCourse) catalogUser {
	t.Helper()
	u := s.signUp(t, "student")
	s.Enrol(t, u.ID, c.ID)
	return u
}

// completeLectures marks the first n lectures of c completed through the
// progress API (the first call only creates the record, as documented).
func (s *certServer) completeLectures(t testing.TB, u catalogUser, c certCourse, n int) {
	t.Helper()
	path := "/api/v1/progress/" + c.ID + "/lectures/"
	calls := append([]string{c.Lectures[0]}, c.Lectures[:n]...)
	for _, l := range calls {
		resp := s.Do(t, http.MethodPatch, path+l, map[string]bool{"isCompleted": true}, u.Token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("complete lecture: %d %s", resp.StatusCode, resp.Body)
		}
	}
}

// issue asks for the caller's certificate of a course.
func (s *certServer) issue(t testing.TB, token, courseID string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPost, certBase, map[string]string{"courseId": courseID}, token)
}

// certData is the data of a certificate answer.
type certData struct {
	ID             string     `json:"_id"`
	Course         string     `json:"course"`
	VerifyID       string     `json:"verifyId"`
	VerifyURL      string     `json:"verifyUrl"`
	PDFURL         string     `json:"pdfUrl"`
	LearnerName    string     `json:"learnerName"`
	CourseTitle    string     `json:"courseTitle"`
	InstructorName string     `json:"instructorName"`
	TotalDuration  float64    `json:"totalDuration"`
	CompletedAt    time.Time  `json:"completedAt"`
	IssuedAt       time.Time  `json:"issuedAt"`
	Status         string     `json:"status"`
	Revocation     *certRevoc `json:"revocation"`
	LinkedInURL    string     `json:"linkedInUrl"`
}

type certRevoc struct {
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revokedAt"`
}

// certOf decodes {"status":"success","data":{…}} after checking status.
func certOf(t testing.TB, resp *apptest.Response, status int) certData {
	t.Helper()
	wantStatus(t, resp, status)
	wantJSON(t, resp)
	var body struct {
		Status string   `json:"status"`
		Data   certData `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("certificate body: %v %s", err, resp.Body)
	}
	return body.Data
}

// issued completes every lecture of c for u and issues the certificate.
func (s *certServer) issued(t testing.TB, u catalogUser, c certCourse) certData {
	t.Helper()
	s.completeLectures(t, u, c, len(c.Lectures))
	return certOf(t, s.issue(t, u.Token, c.ID), http.StatusCreated)
}

// deliverEvent sends a Stripe event signed with secret to the webhook and
// expects 200 (with WEBHOOK_ANSWER_WITHIN long enough, once it is applied).
func (s *certServer) deliverEvent(t testing.TB, secret string, event map[string]any) {
	t.Helper()
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()}).Header
	resp := s.NewRequest(t, http.MethodPost, "/api/v1/payments/webhook", payload).
		WithHeader("Content-Type", "application/json").WithHeader("Stripe-Signature", sig).Send(t)
	wantStatus(t, resp, http.StatusOK)
}

// verify asks the public JSON endpoint about a verification id.
func (s *certServer) verify(t testing.TB, verifyID string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodGet, certVerifyBase+verifyID, nil, "")
}

var pdfObject = regexp.MustCompile(`^(\d+) 0 obj`)

// checkPDF parses the cross-reference table of an (uncompressed) PDF: the
// header, the trailer's startxref, and every in-use entry pointing at
// "N 0 obj" for its own N.
func checkPDF(t testing.TB, b []byte) {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.40q … %q", b, b[max(0, len(b)-20):])
	}
	i := bytes.LastIndex(b, []byte("startxref"))
	if i < 0 {
		t.Fatal("PDF without startxref")
	}
	var xref int
	if _, err := fmt.Sscan(string(b[i+len("startxref"):]), &xref); err != nil || xref <= 0 || xref >= len(b) {
		t.Fatalf("startxref %d: %v", xref, err)
	}
	table := b[xref:]
	if !bytes.HasPrefix(table, []byte("xref")) {
		t.Fatalf("startxref %d does not point at xref: %.20q", xref, table)
	}
	lines := bytes.Split(table, []byte("\n"))
	var first, count int
	if _, err := fmt.Sscan(string(lines[1]), &first, &count); err != nil || count < 2 {
		t.Fatalf("xref section header %q: %v", lines[1], err)
	}
	for n := 1; n < count; n++ {
		entry := string(bytes.TrimSpace(lines[2+n]))
		if len(entry) < 18 || entry[17] != 'n' {
			continue
		}
		off, err := strconv.Atoi(entry[:10])
		if err != nil || off >= len(b) {
			t.Fatalf("xref entry %d %q: %v", first+n, entry, err)
		}
		m := pdfObject.FindSubmatch(b[off:min(len(b), off+20)])
		if m == nil || string(m[1]) != strconv.Itoa(first+n) {
			t.Fatalf("xref entry %d points at %.20q", first+n, b[off:])
		}
	}
}
