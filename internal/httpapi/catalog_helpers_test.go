package httpapi_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// Shared by the catalog tests (catalog_*_test.go): a running service with a
// direct handle on its database and media directory, users of every role,
// generated media, multipart forms and assertions.

const (
	catalogCourses  = "/api/v1/courses"
	catalogPassword = "catalog password 1"

	catalogMsgNotLoggedIn   = "You are not logged in"
	catalogMsgNoPermission  = "You do not have permission to perform this action"
	catalogMsgNotOwner      = "You are not the instructor of this course"
	catalogMsgNotFound      = "Course not found"
	catalogMsgLectureGone   = "Lecture not found in this course"
	catalogMsgBadLevel      = "Please select a valid course level"
	catalogMsgNoThumbnail   = "Course thumbnail is required"
	catalogMsgNoVideo       = "Video file is required"
	catalogMsgNoLectures    = "Cannot publish a course without lectures"
	catalogMsgHasStudents   = "Course has enrolled students; unpublish it instead"
	catalogMsgBadType       = "Unsupported file type"
	catalogMsgTooLarge      = "File too large"
	catalogMsgBadMediaLink  = "Invalid or expired media link"
	catalogMsgInvalidCourse = "Invalid course ID"
	catalogMsgInvalidLect   = "Invalid lecture ID"
)

// catalogServer is a running service plus its data directory; it arranges
// what the API cannot (enrolments, progress) with apptest's seeding helpers
// and checks what the service stored (documents, media files) with its Mongo
// handle.
type catalogServer struct {
	*apptest.Server
	dataDir string
	users   atomic.Int64
}

// catalogStart starts the service on a fresh database and data directory
// with overrides.
func catalogStart(t testing.TB, overrides map[string]string) *catalogServer {
	t.Helper()
	s := apptest.Start(t, overrides)
	return &catalogServer{Server: s, dataDir: s.App.Config.DataDir}
}

// catalogUser is a signed-in user.
type catalogUser struct {
	ID, Name, Role, Token string
}

// signUp registers a user of role (student or instructor) through the API.
func (s *catalogServer) signUp(t testing.TB, role string) catalogUser {
	t.Helper()
	n := s.users.Add(1)
	name := fmt.Sprintf("%s %c", strings.ToUpper(role[:1])+role[1:], 'A'+rune(n%26))
	body := map[string]any{"name": name, "email": fmt.Sprintf("%s%d@catalog.test", role, n), "password": catalogPassword, "role": role}
	resp := s.Do(t, http.MethodPost, "/api/v1/user/signup", body, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign up %s: status %d: %s", role, resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	u := apptest.Object(t, m, "user")
	return catalogUser{ID: u["_id"].(string), Name: name, Role: role, Token: m["token"].(string)}
}

// admin creates an admin with the service (admins cannot sign up) and signs
// them in through the API.
func (s *catalogServer) admin(t testing.TB) catalogUser {
	t.Helper()
	n := s.users.Add(1)
	email := fmt.Sprintf("admin%d@catalog.test", n)
	if _, err := s.App.Users.CreateAdmin(context.Background(), email, "Admin User", catalogPassword); err != nil {
		t.Fatalf("create admin: %v", err)
	}
	resp := s.Do(t, http.MethodPost, "/api/v1/user/signin", map[string]string{"email": email, "password": catalogPassword}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin sign in: status %d: %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	u := apptest.Object(t, m, "user")
	if u["role"] != "admin" {
		t.Fatalf("admin has role %v", u["role"])
	}
	return catalogUser{ID: u["_id"].(string), Name: "Admin User", Role: "admin", Token: m["token"].(string)}
}

// sendForm sends a multipart form.
func (s *catalogServer) sendForm(t testing.TB, method, path, token string, fields map[string]string, files ...formFile) *apptest.Response {
	t.Helper()
	body, ct := multipartForm(t, fields, files...)
	return s.NewRequest(t, method, path, body).WithHeader("Content-Type", ct).WithCookie(token).Send(t)
}

// catalogThumb is a PNG thumbnail part.
func catalogThumb(t testing.TB) formFile {
	return formFile{field: "thumbnail", name: "cover.png", contentType: "image/png", data: pngImage(t, 8, 8, false)}
}

// catalogVideo is an MP4 video part lasting seconds.
func catalogVideo(seconds float64) formFile {
	return formFile{field: "video", name: "lesson.mp4", contentType: "video/mp4", data: mp4File(seconds, 1024)}
}

// catalogCourseFields are valid course form fields; extra entries override
// them, and an empty value removes the field.
func catalogCourseFields(extra map[string]string) map[string]string {
	f := map[string]string{
		"title": "Intro to Testing", "subtitle": "Black-box, end to end", "description": "How to test an API.",
		"category": "Programming", "level": "intermediate", "price": "19.99",
	}
	for k, v := range extra {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

// createCourse creates a draft course through the API and returns it.
func (s *catalogServer) createCourse(t testing.TB, token string, extra map[string]string) map[string]any {
	t.Helper()
	resp := s.sendForm(t, http.MethodPost, catalogCourses, token, catalogCourseFields(extra), catalogThumb(t))
	m := wantOK(t, resp, http.StatusCreated, "Course created successfully")
	return apptest.Object(t, m, "course")
}

// addLecture adds a lecture with a video of seconds and returns it.
func (s *catalogServer) addLecture(t testing.TB, token, courseID, title string, order int, preview bool, seconds float64) map[string]any {
	t.Helper()
	fields := map[string]string{"title": title, "order": strconv.Itoa(order), "isPreview": strconv.FormatBool(preview)}
	resp := s.sendForm(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures", token, fields, catalogVideo(seconds))
	m := wantOK(t, resp, http.StatusCreated, "Lecture added successfully")
	return apptest.Object(t, m, "lecture")
}

// publish publishes a course (it must have a lecture).
func (s *catalogServer) publish(t testing.TB, token, courseID string) {
	t.Helper()
	resp := s.Do(t, http.MethodPatch, catalogCourses+"/"+courseID+"/publish", map[string]bool{"isPublished": true}, token)
	wantOK(t, resp, http.StatusOK, "Course published successfully")
}

// publishedCourse creates a course with one lecture and publishes it.
func (s *catalogServer) publishedCourse(t testing.TB, token string, extra map[string]string) map[string]any {
	t.Helper()
	c := s.createCourse(t, token, extra)
	id := c["_id"].(string)
	s.addLecture(t, token, id, "Lecture 1", 1, false, 10)
	s.publish(t, token, id)
	return c
}

// getCourse reads a course page as token's user (anonymous when "").
func (s *catalogServer) getCourse(t testing.TB, token, courseID string) map[string]any {
	t.Helper()
	resp := s.Do(t, http.MethodGet, catalogCourses+"/"+courseID, nil, token)
	m := wantOK(t, resp, http.StatusOK, "")
	return apptest.Object(t, m, "data")
}

// courseDoc reads a stored course.
func (s *catalogServer) courseDoc(t testing.TB, courseID string) bson.M {
	t.Helper()
	var doc bson.M
	if err := s.Mongo.Collection("courses").FindOne(context.Background(), bson.M{"_id": objectID(t, courseID)}).Decode(&doc); err != nil {
		t.Fatalf("find course %s: %v", courseID, err)
	}
	return doc
}

// mediaFiles lists the files under DATA_DIR/media and DATA_DIR/tmp,
// relative to DATA_DIR.
func (s *catalogServer) mediaFiles(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"media", "tmp"} {
		root := filepath.Join(s.dataDir, sub)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				rel, _ := filepath.Rel(s.dataDir, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", root, err)
		}
	}
	slices.Sort(out)
	return out
}

// wantMediaFiles asserts that the media and temp files are exactly want.
func (s *catalogServer) wantMediaFiles(t testing.TB, want []string) {
	t.Helper()
	if got := s.mediaFiles(t); !slices.Equal(got, want) {
		t.Errorf("media files changed:\n got  %v\n want %v", got, want)
	}
}

// fileOf returns the path under DATA_DIR of a /media/ URL.
func (s *catalogServer) fileOf(t testing.TB, mediaURL string) string {
	t.Helper()
	u, err := url.Parse(mediaURL)
	if err != nil {
		t.Fatalf("media URL %q: %v", mediaURL, err)
	}
	key, ok := strings.CutPrefix(u.Path, "/media/")
	if !ok || key == "" {
		t.Fatalf("media URL %q is not under /media/", mediaURL)
	}
	return filepath.Join(s.dataDir, "media", filepath.FromSlash(key))
}

// catalogExists reports whether a file exists.
func catalogExists(t testing.TB, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("stat %s: %v", path, err)
	}
	return err == nil
}

// fetch requests the path and query of a media URL (whose host is the
// service's PUBLIC_URL) from the test server.
func (s *catalogServer) fetch(t testing.TB, mediaURL string, header http.Header) *apptest.Response {
	t.Helper()
	u, err := url.Parse(mediaURL)
	if err != nil {
		t.Fatalf("media URL %q: %v", mediaURL, err)
	}
	req := s.NewRequest(t, http.MethodGet, u.RequestURI(), nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return req.Send(t)
}

// catalogCourseKeys are the keys of a course in every response.
var catalogCourseKeys = []string{"_id", "title", "subtitle", "description", "category", "level", "price", "thumbnail",
	"instructor", "lectures", "isPublished", "totalLectures", "totalDuration", "enrolledCount", "ratingAverage", "ratingCount",
	"createdAt", "updatedAt"}

// catalogLectureKeys are the keys of a lecture in every response.
var catalogLectureKeys = []string{"_id", "course", "title", "description", "videoUrl", "duration", "isPreview", "order",
	"locked", "createdAt", "updatedAt"}
