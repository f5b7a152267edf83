package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// catalogRoute is a mutating catalog route and how to call it.
type catalogRoute struct {
	method, pattern string
	// call sends a request that succeeds for the owner of the fixture.
	call func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response
	// status and message of that success.
	status  int
	message string
	// anyInstructor: any instructor may call it (creating a course).
	anyInstructor bool
}

// catalogFixture is a course with one lecture and one (empty) section.
type catalogFixture struct {
	courseID, lectureID, sectionID string
}

func (f catalogFixture) path(pattern string) string {
	return strings.NewReplacer("{courseId}", f.courseID, "{lectureId}", f.lectureID, "{sectionId}", f.sectionID).Replace(pattern)
}

// catalogMutatingRoutes lists every POST, PUT, PATCH and DELETE route under
// /api/v1/courses, as the router names them.
func catalogMutatingRoutes() []catalogRoute {
	return []catalogRoute{
		{
			method: http.MethodPost, pattern: "/api/v1/courses/", status: http.StatusCreated, message: "Course created successfully", anyInstructor: true,
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.sendForm(t, http.MethodPost, "/api/v1/courses/", token, catalogCourseFields(nil), catalogThumb(t))
			},
		},
		{
			method: http.MethodPatch, pattern: "/api/v1/courses/{courseId}", status: http.StatusOK, message: "Course updated successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.sendForm(t, http.MethodPatch, f.path("/api/v1/courses/{courseId}"), token, map[string]string{"title": "Changed"}, catalogThumb(t))
			},
		},
		{
			method: http.MethodPatch, pattern: "/api/v1/courses/{courseId}/publish", status: http.StatusOK, message: "Course published successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodPatch, f.path("/api/v1/courses/{courseId}/publish"), nil, token)
			},
		},
		{
			method: http.MethodDelete, pattern: "/api/v1/courses/{courseId}", status: http.StatusOK, message: "Course deleted successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodDelete, f.path("/api/v1/courses/{courseId}"), nil, token)
			},
		},
		{
			method: http.MethodPost, pattern: "/api/v1/courses/{courseId}/lectures", status: http.StatusCreated, message: "Lecture added successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.sendForm(t, http.MethodPost, f.path("/api/v1/courses/{courseId}/lectures"), token,
					map[string]string{"title": "New", "order": "2"}, catalogVideo(2))
			},
		},
		{
			method: http.MethodPatch, pattern: "/api/v1/courses/{courseId}/lectures/{lectureId}", status: http.StatusOK, message: "Lecture updated successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.sendForm(t, http.MethodPatch, f.path("/api/v1/courses/{courseId}/lectures/{lectureId}"), token,
					map[string]string{"title": "Changed"}, catalogVideo(3))
			},
		},
		{
			method: http.MethodDelete, pattern: "/api/v1/courses/{courseId}/lectures/{lectureId}", status: http.StatusOK, message: "Lecture removed successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodDelete, f.path("/api/v1/courses/{courseId}/lectures/{lectureId}"), nil, token)
			},
		},
		{
			method: http.MethodPost, pattern: "/api/v1/courses/{courseId}/sections", status: http.StatusCreated, message: "Section created successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodPost, f.path("/api/v1/courses/{courseId}/sections"), map[string]string{"title": "New"}, token)
			},
		},
		{
			method: http.MethodPatch, pattern: "/api/v1/courses/{courseId}/sections/{sectionId}", status: http.StatusOK, message: "Section updated successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodPatch, f.path("/api/v1/courses/{courseId}/sections/{sectionId}"), map[string]string{"title": "Changed"}, token)
			},
		},
		{
			method: http.MethodDelete, pattern: "/api/v1/courses/{courseId}/sections/{sectionId}", status: http.StatusOK, message: "Section deleted successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodDelete, f.path("/api/v1/courses/{courseId}/sections/{sectionId}")+"?withLectures=true", nil, token)
			},
		},
		{
			method: http.MethodPut, pattern: "/api/v1/courses/{courseId}/curriculum", status: http.StatusOK, message: "Curriculum updated successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				// The stored version, read past the API (which the
				// refused callers may not read).
				var doc struct {
					Version int64 `bson:"curriculumVersion"`
				}
				_ = s.Mongo.Collection("courses").FindOne(t.Context(), bson.M{"_id": objectID(t, f.courseID)}).Decode(&doc)
				body := reorderBody(doc.Version, nil, section{f.sectionID, []string{f.lectureID}})
				return s.Do(t, http.MethodPut, f.path("/api/v1/courses/{courseId}/curriculum"), body, token)
			},
		},
		{
			method: http.MethodPost, pattern: "/api/v1/courses/{courseId}/lectures/{lectureId}/captions", status: http.StatusOK, message: "Captions saved successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.uploadCaption(t, token, f.courseID, f.lectureID, "de", "Deutsch", captionFile(srtCaptions))
			},
		},
		{
			method: http.MethodDelete, pattern: "/api/v1/courses/{courseId}/lectures/{lectureId}/captions/{language}", status: http.StatusOK, message: "Captions removed successfully",
			call: func(t *testing.T, s *catalogServer, token string, f catalogFixture) *apptest.Response {
				return s.Do(t, http.MethodDelete, f.path("/api/v1/courses/{courseId}/lectures/{lectureId}/captions/en"), nil, token)
			},
		},
	}
}

// catalogWalkMutating returns "METHOD pattern" of every POST, PATCH and
// DELETE route of the router under /api/v1/courses but the reviews'.
func catalogWalkMutating(t *testing.T, h http.Handler) []string {
	t.Helper()
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("the service's handler is %T, not a chi.Routes; cannot walk it", h)
	}
	var out []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.ReplaceAll(route, "/*/", "/")
		switch method {
		case http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodPut:
			// Reviews follow other rules (students write them); their
			// matrix is in reviews_test.go.
			if strings.Contains(route, "/reviews") {
				return nil
			}
			if route == "/api/v1/courses" || strings.HasPrefix(route, "/api/v1/courses/") {
				out = append(out, method+" "+route)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestCatalogAccessMatrix calls every mutating catalog route as anonymous,
// a student, another instructor, the owner and an admin. Only the owner
// and admins succeed (and any instructor may create a course); a refused
// request changes nothing and stores no upload.
func TestCatalogAccessMatrix(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	routes := catalogMutatingRoutes()

	// The matrix covers exactly the routes the router has.
	var covered []string
	for _, r := range routes {
		covered = append(covered, r.method+" "+r.pattern)
	}
	slices.Sort(covered)
	if walked := catalogWalkMutating(t, s.App.Handler); !slices.Equal(walked, covered) {
		t.Fatalf("mutating routes under /api/v1/courses:\n router %v\n matrix %v", walked, covered)
	}

	owner, other, student, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)
	newFixture := func(t *testing.T) catalogFixture {
		c := s.createCourse(t, owner.Token, nil)
		id := c["_id"].(string)
		l := s.addLecture(t, owner.Token, id, "Lecture", 1, false, 4)
		lectureID := l["_id"].(string)
		wantOK(t, s.uploadCaption(t, owner.Token, id, lectureID, "en", "English", captionFile(srtCaptions)), http.StatusOK, "")
		sec := s.addSection(t, owner.Token, id, map[string]any{"title": "Section"})
		return catalogFixture{courseID: id, lectureID: lectureID, sectionID: sec}
	}
	shared := newFixture(t)
	snapshot := func() (bson.M, int64, []string) {
		return s.courseDoc(t, shared.courseID), s.Count(t, "lectures", bson.M{}), s.mediaFiles(t)
	}

	for _, r := range routes {
		t.Run(r.method+" "+r.pattern, func(t *testing.T) {
			courseBefore, lecturesBefore, filesBefore := snapshot()
			coursesBefore := s.Count(t, "courses", bson.M{})
			denied := []struct {
				who, token string
				status     int
				message    string
			}{
				{"anonymous", "", http.StatusUnauthorized, catalogMsgNotLoggedIn},
				{"tampered cookie", owner.Token + "x", http.StatusUnauthorized, "JWT token error"},
				{"student", student.Token, http.StatusForbidden, catalogMsgNoPermission},
			}
			if !r.anyInstructor {
				denied = append(denied, struct {
					who, token string
					status     int
					message    string
				}{"other instructor", other.Token, http.StatusForbidden, catalogMsgNotOwner})
			}
			for _, d := range denied {
				resp := r.call(t, s, d.token, shared)
				if resp.StatusCode != d.status {
					t.Errorf("%s: status %d, want %d; body %s", d.who, resp.StatusCode, d.status, resp.Body)
					continue
				}
				apptest.WantError(t, resp, d.status, d.message)
			}
			// Nothing changed, nothing stored: ownership is checked
			// before an upload is read.
			courseAfter, lecturesAfter, filesAfter := snapshot()
			if courseAfter["updatedAt"] != courseBefore["updatedAt"] || courseAfter["title"] != courseBefore["title"] ||
				courseAfter["isPublished"] != courseBefore["isPublished"] || lecturesAfter != lecturesBefore {
				t.Errorf("refused requests changed the course: %v → %v, lectures %d → %d", courseBefore, courseAfter, lecturesBefore, lecturesAfter)
			}
			if n := s.Count(t, "courses", bson.M{}); n != coursesBefore {
				t.Errorf("refused requests changed the number of courses: %d → %d", coursesBefore, n)
			}
			if !slices.Equal(filesAfter, filesBefore) {
				t.Errorf("refused requests stored files:\n before %v\n after  %v", filesBefore, filesAfter)
			}

			allowed := []struct{ who, token string }{{"owner", owner.Token}, {"admin", admin.Token}}
			if r.anyInstructor {
				allowed = append(allowed, struct{ who, token string }{"other instructor", other.Token})
			}
			for _, a := range allowed {
				f := newFixture(t)
				resp := r.call(t, s, a.token, f)
				if resp.StatusCode != r.status {
					t.Errorf("%s: status %d, want %d; body %s", a.who, resp.StatusCode, r.status, resp.Body)
					continue
				}
				wantOK(t, resp, r.status, r.message)
			}
		})
	}

	// Not-found beats nothing: a missing course is 404 for its would-be
	// editors, after authentication.
	missing := catalogFixture{courseID: "0123456789abcdef01234567", lectureID: shared.lectureID, sectionID: shared.sectionID}
	for _, r := range routes {
		if r.anyInstructor {
			continue
		}
		resp := r.call(t, s, owner.Token, missing)
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgNotFound)
		resp = r.call(t, s, "", missing)
		apptest.WantError(t, resp, http.StatusUnauthorized, catalogMsgNotLoggedIn)
	}
}

// TestCatalogForeignLecture: a lecture id of another course is not found in
// this one, for every lecture route, even for an admin and even when the
// caller owns both courses.
func TestCatalogForeignLecture(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner, other, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.admin(t)
	a := s.createCourse(t, owner.Token, map[string]string{"title": "Course A"})
	b := s.createCourse(t, owner.Token, map[string]string{"title": "Course B"})
	mine := s.createCourse(t, other.Token, map[string]string{"title": "Other's course"})
	lb := s.addLecture(t, owner.Token, b["_id"].(string), "In B", 1, false, 6)
	lbID := lb["_id"].(string)
	files := s.mediaFiles(t)

	for _, tc := range []struct {
		who, token, courseID string
	}{
		{"owner of both", owner.Token, a["_id"].(string)},
		{"admin", admin.Token, a["_id"].(string)},
		{"other instructor via own course", other.Token, mine["_id"].(string)},
	} {
		path := catalogCourses + "/" + tc.courseID + "/lectures/" + lbID
		resp := s.sendForm(t, http.MethodPatch, path, tc.token, map[string]string{"title": "Hijacked"}, catalogVideo(99))
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
		resp = s.Do(t, http.MethodPatch, path, map[string]any{"title": "Hijacked"}, tc.token)
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
		resp = s.Do(t, http.MethodDelete, path, nil, tc.token)
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
		resp = s.uploadCaption(t, tc.token, tc.courseID, lbID, "en", "English", captionFile(srtCaptions))
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
		resp = s.Do(t, http.MethodDelete, path+"/captions/en", nil, tc.token)
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
	}
	// A lecture id that exists nowhere.
	resp := s.Do(t, http.MethodDelete, catalogCourses+"/"+a["_id"].(string)+"/lectures/0123456789abcdef01234567", nil, owner.Token)
	apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)
	resp = s.Do(t, http.MethodPatch, catalogCourses+"/"+a["_id"].(string)+"/lectures/0123456789abcdef01234567", map[string]any{"order": 3}, owner.Token)
	apptest.WantError(t, resp, http.StatusNotFound, catalogMsgLectureGone)

	// The lecture and its course are untouched; the refused uploads are gone.
	got := s.getCourse(t, owner.Token, b["_id"].(string))
	ls := objects(t, got, "lectures")
	if len(ls) != 1 || ls[0]["title"] != "In B" || ls[0]["duration"] != 6.0 || got["totalDuration"] != 6.0 {
		t.Errorf("course B after refused requests: %v", got)
	}
	for _, c := range []map[string]any{a, mine} {
		if d := s.getCourse(t, admin.Token, c["_id"].(string)); d["totalLectures"] != 0.0 || d["totalDuration"] != 0.0 {
			t.Errorf("course %v totals changed: %v / %v", c["title"], d["totalLectures"], d["totalDuration"])
		}
	}
	s.wantMediaFiles(t, files)
}
