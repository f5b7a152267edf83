package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
)

// Shared by the progress tests (progress_test.go). Courses and lectures are
// written through the course repository, so these tests depend only on the
// progress endpoints.

const progBase = "/api/v1/progress/"

// progServer is a running service with its Mongo handle for seeding
// courses and reading progress records.
type progServer struct {
	*apptest.Server
}

// progStart starts the service on a fresh database.
func progStart(t *testing.T) *progServer {
	t.Helper()
	// The seeding connection (Mongo) never writes progress records, so it
	// cannot race the service's writes on the embedded database.
	return &progServer{Server: apptest.Start(t, nil)}
}

// progUser is a signed-up student.
type progUser struct {
	ID, Name, Email, Token string
}

// signUp creates a student through the API.
func (s *progServer) signUp(t *testing.T, name string) progUser {
	t.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.test"
	resp := s.Do(t, http.MethodPost, "/api/v1/user/signup",
		map[string]string{"name": name, "email": email, "password": "correct horse battery"}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign up %s: %d %s", name, resp.StatusCode, resp.Body)
	}
	var body struct {
		User struct {
			ID string `json:"_id"`
		} `json:"user"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil || body.Token == "" || body.User.ID == "" {
		t.Fatalf("sign up %s: %v %s", name, err, resp.Body)
	}
	return progUser{ID: body.User.ID, Name: name, Email: email, Token: body.Token}
}

// progCourse is a course with its lectures in order.
type progCourse struct {
	ID       string
	Lectures []string
}

// course stores a course with n lectures (orders 1..n) through the course
// repository; it is published once it has a lecture.
func (s *progServer) course(t *testing.T, title string, n int) progCourse {
	t.Helper()
	created := s.SeedCourse(t, course.Course{
		Title: title, Subtitle: title + " subtitle", Description: title + " description", Category: "testing",
	})
	thumbnail := "thumbnails/" + created.ID + ".png"
	if _, _, err := mongodb.NewCourseRepo(s.App.DB).Update(context.Background(), created.ID, course.Changes{Thumbnail: &thumbnail}, time.Now()); err != nil {
		t.Fatalf("set thumbnail: %v", err)
	}
	c := progCourse{ID: created.ID}
	for i := range n {
		c.Lectures = append(c.Lectures, s.addLecture(t, c.ID, i+1))
	}
	return c
}

// addLecture stores a lecture of a course with this order, as the catalog
// does, and publishes the course.
func (s *progServer) addLecture(t *testing.T, courseID string, order int) string {
	t.Helper()
	l := s.SeedLecture(t, course.Lecture{CourseID: courseID, Order: order, Video: "videos/v.mp4", Duration: 60})
	s.SetPublished(t, courseID, true)
	return l.ID
}

// deleteLecture removes a lecture, as the catalog does, without touching
// progress records.
func (s *progServer) deleteLecture(t *testing.T, courseID, lectureID string) {
	t.Helper()
	ctx := context.Background()
	repo := mongodb.NewCourseRepo(s.App.DB)
	if _, err := repo.DeleteLecture(ctx, courseID, lectureID); err != nil {
		t.Fatalf("delete lecture: %v", err)
	}
	if _, err := repo.RefreshTotals(ctx, courseID, time.Now()); err != nil {
		t.Fatalf("refresh totals: %v", err)
	}
}

// stored reads a user's stored record of a course.
func (s *progServer) stored(t *testing.T, userID, courseID string) bson.M {
	t.Helper()
	var doc bson.M
	err := s.Mongo.Collection("courseprogresses").FindOne(context.Background(),
		bson.M{"user": objectID(t, userID), "course": objectID(t, courseID)}).Decode(&doc)
	if err != nil {
		t.Fatalf("find progress: %v", err)
	}
	return doc
}

// get, patch, complete and reset call the four endpoints.
func (s *progServer) get(t *testing.T, u progUser, courseID string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodGet, progBase+courseID, nil, u.Token)
}

func (s *progServer) patch(t *testing.T, u progUser, courseID, lectureID string, completed bool) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPatch, progBase+courseID+"/lectures/"+lectureID, map[string]bool{"isCompleted": completed}, u.Token)
}

func (s *progServer) complete(t *testing.T, u progUser, courseID string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPost, progBase+courseID+"/complete", nil, u.Token)
}

func (s *progServer) reset(t *testing.T, u progUser, courseID string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPost, progBase+courseID+"/reset", nil, u.Token)
}

// progRecord is a CourseProgress as the API shows it.
type progRecord struct {
	ID                   string            `json:"_id"`
	User                 any               `json:"user"`
	Course               any               `json:"course"`
	LectureProgress      []progLectureJSON `json:"lectureProgress"`
	CompletionPercentage int               `json:"completionPercentage"`
	IsCompleted          bool              `json:"isCompleted"`
	LastAccessed         time.Time         `json:"lastAccessed"`
	CreatedAt            time.Time         `json:"createdAt"`
	UpdatedAt            time.Time         `json:"updatedAt"`
	Resume               *progResumeJSON   `json:"resume"`
}

type progLectureJSON struct {
	Lecture        string     `json:"lecture"`
	IsCompleted    bool       `json:"isCompleted"`
	LastWatched    *time.Time `json:"lastWatched"`
	Position       float64    `json:"position"`
	WatchedSeconds float64    `json:"watchedSeconds"`
}

type progResumeJSON struct {
	LectureID string  `json:"lectureId"`
	Position  float64 `json:"position"`
}

// lectures returns the lecture ids of the entries, in order.
func (r progRecord) lectures() []string {
	var ids []string
	for _, e := range r.LectureProgress {
		ids = append(ids, e.Lecture)
	}
	return ids
}

// completed returns the ids of the completed entries.
func (r progRecord) completed() []string {
	var ids []string
	for _, e := range r.LectureProgress {
		if e.IsCompleted {
			ids = append(ids, e.Lecture)
		}
	}
	return ids
}

// progRecordKeys are the keys of a CourseProgress, and of one entry.
var (
	progRecordKeys = []string{"_id", "user", "course", "lectureProgress", "completionPercentage", "isCompleted", "lastAccessed", "createdAt", "updatedAt", "resume"}
	progEntryKeys  = []string{"lecture", "isCompleted", "lastWatched", "position", "watchedSeconds"}
)

// progWantData asserts a 200 {"status": "success", "data": record} with
// exactly the keys of a CourseProgress, and returns the record and its raw
// data object.
func progWantData(t *testing.T, resp *apptest.Response) (progRecord, map[string]any) {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	wantJSON(t, resp)
	m := resp.JSON(t)
	wantKeys(t, "envelope", m, "status", "data")
	if m["status"] != "success" {
		t.Errorf("status %v, want success", m["status"])
	}
	data, ok := m["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is %T, want an object; body %s", m["data"], resp.Body)
	}
	wantKeys(t, "record", data, progRecordKeys...)
	entries, _ := data["lectureProgress"].([]any)
	if entries == nil {
		t.Errorf("lectureProgress is %v, want an array", data["lectureProgress"])
	}
	for _, e := range entries {
		em, _ := e.(map[string]any)
		wantKeys(t, "entry", em, progEntryKeys...)
	}
	var body struct {
		Data progRecord `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("decode record: %v\n%s", err, resp.Body)
	}
	rec := body.Data
	if rec.CompletionPercentage < 0 || rec.CompletionPercentage > 100 {
		t.Errorf("completionPercentage %d outside 0–100", rec.CompletionPercentage)
	}
	if rec.IsCompleted != (rec.CompletionPercentage == 100) {
		t.Errorf("isCompleted %v with %d %%", rec.IsCompleted, rec.CompletionPercentage)
	}
	return rec, data
}

// progWantMessage asserts a 200 {"status": "success", "message": message}.
func progWantMessage(t *testing.T, resp *apptest.Response, message string) {
	t.Helper()
	wantStatus(t, resp, http.StatusOK)
	wantJSON(t, resp)
	m := resp.JSON(t)
	wantKeys(t, "envelope", m, "status", "message")
	if m["status"] != "success" || m["message"] != message {
		t.Errorf("body %s, want status success, message %q", resp.Body, message)
	}
}
