package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// wantTotals asserts a course's totals in the API and that its
// lecture list is exactly lectureIDs, in order.
func (s *catalogServer) wantTotals(t *testing.T, token, courseID string, n int, duration float64, lectureIDs ...string) {
	t.Helper()
	resp := s.Do(t, http.MethodGet, catalogCourses+"/"+courseID, nil, token)
	c := apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data")
	if c["totalLectures"] != float64(n) || c["totalDuration"] != duration {
		t.Errorf("totals %v lectures / %v s, want %d / %v", c["totalLectures"], c["totalDuration"], n, duration)
	}
	if got := idsOf(objects(t, c, "lectures")); lectureIDs != nil && !slices.Equal(got, lectureIDs) {
		t.Errorf("lectures %v, want %v", got, lectureIDs)
	}
	// The stored list of lecture ids agrees.
	doc := s.courseDoc(t, courseID)
	stored, _ := doc["lectures"].(bson.A)
	if len(stored) != n {
		t.Errorf("stored lectures %v, want %d", stored, n)
	}
}

func TestCatalogLectures(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	lectures := catalogCourses + "/" + id + "/lectures"

	t.Run("add", func(t *testing.T) {
		fields := map[string]string{"title": "  Welcome  ", "description": "The first one", "order": "1", "isPreview": "true"}
		resp := s.sendForm(t, http.MethodPost, lectures, inst.Token, fields, catalogVideo(12.5))
		m := wantOK(t, resp, http.StatusCreated, "Lecture added successfully")
		wantKeys(t, "envelope", m, "success", "message", "lecture")
		l := apptest.Object(t, m, "lecture")
		wantKeys(t, "lecture", l, catalogLectureKeys...)
		want := map[string]any{"course": id, "title": "Welcome", "description": "The first one", "duration": 12.5,
			"isPreview": true, "order": 1.0, "locked": false}
		for k, v := range want {
			if l[k] != v {
				t.Errorf("lecture %s = %#v, want %#v", k, l[k], v)
			}
		}
		if u, _ := l["videoUrl"].(string); !strings.Contains(u, "/media/videos/") || !strings.Contains(u, "sig=") {
			t.Errorf("videoUrl = %v, want a signed /media/videos/ URL", l["videoUrl"])
		}
		s.wantTotals(t, inst.Token, id, 1, 12.5, l["_id"].(string))
	})

	t.Run("defaults", func(t *testing.T) {
		resp := s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "Plain", "order": "0"}, catalogVideo(2))
		l := apptest.Object(t, wantOK(t, resp, http.StatusCreated, ""), "lecture")
		if l["isPreview"] != false || l["description"] != "" || l["order"] != 0.0 {
			t.Errorf("lecture defaults: %v", l)
		}
		wantOK(t, s.Do(t, http.MethodDelete, lectures+"/"+l["_id"].(string), nil, inst.Token), http.StatusOK, "Lecture removed successfully")
	})

	t.Run("validation", func(t *testing.T) {
		files := s.mediaFiles(t)
		resp := s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "No video", "order": "2"})
		apptest.WantError(t, resp, http.StatusBadRequest, catalogMsgNoVideo)
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "Empty input", "order": "2"}, formFile{field: "video"})
		apptest.WantError(t, resp, http.StatusBadRequest, catalogMsgNoVideo)
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"description": "x"}, catalogVideo(1))
		wantValidationMessages(t, resp, map[string]string{"title": "", "order": ""})
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{
			"title": strings.Repeat("x", 101), "description": strings.Repeat("d", 501), "order": "-1",
		}, catalogVideo(1))
		wantValidationMessages(t, resp, map[string]string{"title": "", "description": "", "order": ""})
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "T", "order": "first", "isPreview": "maybe"}, catalogVideo(1))
		wantValidationMessages(t, resp, map[string]string{"order": "", "isPreview": ""})
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "T", "order": "1", "duration": "999"}, catalogVideo(1))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("client-set duration: status %d, want 400", resp.StatusCode)
		}
		resp = s.sendForm(t, http.MethodPost, lectures, inst.Token, map[string]string{"title": "T", "order": "1", "video": "videos/x.mp4"})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("video as text: status %d, want 400", resp.StatusCode)
		}
		resp = s.Do(t, http.MethodPost, lectures, map[string]any{"title": "T", "order": 1}, inst.Token)
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("JSON add: status %d, want 415", resp.StatusCode)
		}
		s.wantMediaFiles(t, files)
		s.wantTotals(t, inst.Token, id, 1, 12.5)
	})

	t.Run("update, totals and media", func(t *testing.T) {
		l1 := objects(t, s.getCourse(t, inst.Token, id), "lectures")[0]
		l1ID := l1["_id"].(string)
		l2 := s.addLecture(t, inst.Token, id, "Second", 2, false, 30)
		l2ID := l2["_id"].(string)
		s.wantTotals(t, inst.Token, id, 2, 42.5, l1ID, l2ID)

		// A new video: new duration, new file, old file removed.
		oldVideo := s.fileOf(t, l1["videoUrl"].(string))
		resp := s.sendForm(t, http.MethodPatch, lectures+"/"+l1ID, inst.Token, map[string]string{"title": "Welcome v2"}, catalogVideo(20))
		got := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Lecture updated successfully"), "lecture")
		wantKeys(t, "lecture", got, catalogLectureKeys...)
		if got["duration"] != 20.0 || got["title"] != "Welcome v2" || got["description"] != "The first one" || got["isPreview"] != true {
			t.Errorf("updated lecture %v", got)
		}
		if catalogExists(t, oldVideo) {
			t.Errorf("replaced video %s still on disk", oldVideo)
		}
		newVideo := s.fileOf(t, got["videoUrl"].(string))
		if !catalogExists(t, newVideo) {
			t.Errorf("new video %s missing", newVideo)
		}
		s.wantTotals(t, inst.Token, id, 2, 50, l1ID, l2ID)

		// JSON: reorder, keep the video and duration.
		resp = s.Do(t, http.MethodPatch, lectures+"/"+l1ID, map[string]any{"order": 3, "isPreview": false, "description": ""}, inst.Token)
		got = apptest.Object(t, wantOK(t, resp, http.StatusOK, "Lecture updated successfully"), "lecture")
		if got["order"] != 3.0 || got["duration"] != 20.0 || got["isPreview"] != false || got["description"] != "" {
			t.Errorf("JSON-updated lecture %v", got)
		}
		if !catalogExists(t, newVideo) {
			t.Errorf("a JSON update removed the video")
		}
		s.wantTotals(t, inst.Token, id, 2, 50, l2ID, l1ID)

		// Fields a client may not set, and bad values, change nothing.
		for _, body := range []map[string]any{{"duration": 1}, {"course": id}, {"videoUrl": "x"}, {"video": "x"}, {"locked": false}} {
			resp := s.Do(t, http.MethodPatch, lectures+"/"+l1ID, body, inst.Token)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PATCH %v: status %d, want 400", body, resp.StatusCode)
			}
		}
		resp = s.Do(t, http.MethodPatch, lectures+"/"+l1ID, map[string]any{"title": "", "order": -2}, inst.Token)
		wantValidationMessages(t, resp, map[string]string{"title": "", "order": ""})
		files := s.mediaFiles(t)
		resp = s.sendForm(t, http.MethodPatch, lectures+"/"+l1ID, inst.Token, map[string]string{"order": "x"}, catalogVideo(1))
		wantValidationMessages(t, resp, map[string]string{"order": ""})
		s.wantMediaFiles(t, files)
		s.wantTotals(t, inst.Token, id, 2, 50, l2ID, l1ID)

		// Delete: totals follow, the video and progress entries go.
		student := s.signUp(t, "student")
		s.SeedProgress(t, student.ID, id, []string{l1ID, l2ID}, true)
		l2Video := s.fileOf(t, l2["videoUrl"].(string))
		resp = s.Do(t, http.MethodDelete, lectures+"/"+l2ID, nil, inst.Token)
		m := wantOK(t, resp, http.StatusOK, "Lecture removed successfully")
		wantKeys(t, "envelope", m, "success", "message")
		if catalogExists(t, l2Video) {
			t.Errorf("deleted lecture's video %s still on disk", l2Video)
		}
		if n := s.Count(t, "courseprogresses", bson.M{"lectureProgress.lecture": objectID(t, l2ID)}); n != 0 {
			t.Errorf("%d progress records still list the deleted lecture", n)
		}
		if n := s.Count(t, "courseprogresses", bson.M{"lectureProgress.lecture": objectID(t, l1ID)}); n != 1 {
			t.Errorf("progress entries of the remaining lecture: %d records, want 1", n)
		}
		s.wantTotals(t, inst.Token, id, 1, 20, l1ID)
		apptest.WantError(t, s.Do(t, http.MethodDelete, lectures+"/"+l2ID, nil, inst.Token), http.StatusNotFound, catalogMsgLectureGone)

		resp = s.Do(t, http.MethodDelete, lectures+"/"+l1ID, nil, inst.Token)
		wantOK(t, resp, http.StatusOK, "Lecture removed successfully")
		s.wantTotals(t, inst.Token, id, 0, 0)
		if n := s.Count(t, "lectures", bson.M{}); n != 0 {
			t.Errorf("%d lectures stored, want 0", n)
		}
	})
}

// TestCatalogConcurrentLectures adds ten lectures at once: every one is
// counted in the course's totals. (The per-user upload cap is raised to
// let all ten run together; it has its own test.)
func TestCatalogConcurrentLectures(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MAX_UPLOADS_PER_USER": "10"})
	inst := s.signUp(t, "instructor")
	id := s.createCourse(t, inst.Token, nil)["_id"].(string)
	url := s.URL + catalogCourses + "/" + id + "/lectures"

	const n = 10
	bodies := make([][]byte, n)
	types := make([]string, n)
	for i := range n {
		bodies[i], types[i] = multipartForm(t, map[string]string{"title": fmt.Sprintf("Lecture %d", i), "order": strconv.Itoa(i)}, catalogVideo(float64(i+1)))
	}
	results := concurrently(n, func(i int) result {
		return sendRaw(http.MethodPost, url, types[i], inst.Token, bodies[i])
	})
	ids := make([]string, n)
	for i, r := range results {
		if r.err != nil || r.status != http.StatusCreated {
			t.Fatalf("lecture %d: status %d err %v body %s", i, r.status, r.err, r.body)
		}
		var m struct {
			Lecture struct {
				ID string `json:"_id"`
			}
		}
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		ids[i] = m.Lecture.ID
	}
	// Durations 1 + 2 + … + 10 = 55 s, lectures by order.
	s.wantTotals(t, inst.Token, id, n, 55, ids...)
}

// A published course keeps its last lecture; a draft may lose it.
func TestCatalogLastLectureOfPublishedCourse(t *testing.T) {
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	c := s.publishedCourse(t, inst.Token, nil)
	courseID := c["_id"].(string)
	lectureID := idsOf(objects(t, s.getCourse(t, inst.Token, courseID), "lectures"))[0]
	path := catalogCourses + "/" + courseID + "/lectures/" + lectureID

	apptest.WantError(t, s.Do(t, http.MethodDelete, path, nil, inst.Token), http.StatusConflict,
		"Cannot remove the last lecture of a published course; unpublish it first")
	// A lecture of another course is not found here, even though this
	// course's own last lecture could not go either.
	other := s.createCourse(t, inst.Token, nil)
	foreign := s.addLecture(t, inst.Token, other["_id"].(string), "Elsewhere", 1, false, 5)
	apptest.WantError(t, s.Do(t, http.MethodDelete, catalogCourses+"/"+courseID+"/lectures/"+foreign["_id"].(string), nil, inst.Token),
		http.StatusNotFound, catalogMsgLectureGone)
	apptest.WantError(t, s.Do(t, http.MethodDelete, catalogCourses+"/"+courseID+"/lectures/"+strings.Repeat("0", 24), nil, inst.Token),
		http.StatusNotFound, catalogMsgLectureGone)
	resp := s.Do(t, http.MethodPatch, catalogCourses+"/"+courseID+"/publish", map[string]bool{"isPublished": false}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Course unpublished successfully")
	wantOK(t, s.Do(t, http.MethodDelete, path, nil, inst.Token), http.StatusOK, "Lecture removed successfully")
}

// A new video for a lecture that does not exist is refused before it is
// read: the upload below never ends, so only an early answer arrives.
func TestCatalogLectureUpdateCheckedBeforeUpload(t *testing.T) {
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)

	done := make(chan struct{})
	defer close(done)
	// The rest of the upload never comes while the test waits.
	content := io.MultiReader(bytes.NewReader(mp4File(3, 1000)), stalledReader{done})
	pr, contentType := multipartStream(nil, formFile{field: "video", name: "v.mp4"}, content)
	req := s.NewRequest(t, http.MethodPatch, catalogCourses+"/"+courseID+"/lectures/"+strings.Repeat("a", 24), io.Reader(pr)).
		WithCookie(inst.Token).WithHeader("Content-Type", contentType)
	got := make(chan *apptest.Response, 1)
	go func() { got <- req.Send(t) }()
	select {
	case resp := <-got:
		apptest.WantError(t, resp, http.StatusNotFound, "Lecture not found in this course")
	case <-time.After(30 * time.Second):
		t.Fatal("no answer: the server is reading the upload before checking the lecture")
	}
}

// Two concurrent DELETEs of the two lectures of a published course: exactly
// one succeeds and the course keeps the other (both used to succeed and
// leave it published without lectures). A publish racing the delete of a
// draft's only lecture never ends published without one either.
func TestCatalogLastLectureUnderConcurrency(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	lecturesOf := func(courseID string) int {
		return int(s.Count(t, "lectures", bson.M{"course": objectID(t, courseID)}))
	}
	for round := range 4 {
		c := s.publishedCourse(t, inst.Token, nil)
		id := c["_id"].(string)
		s.addLecture(t, inst.Token, id, "Two", 2, false, 3)
		var ids []string
		for _, l := range s.courseDoc(t, id)["lectures"].(bson.A) {
			ids = append(ids, l.(primitive.ObjectID).Hex())
		}
		statuses := make([]int, len(ids))
		var wg sync.WaitGroup
		for i, lid := range ids {
			wg.Go(func() {
				statuses[i] = s.Do(t, http.MethodDelete, catalogCourses+"/"+id+"/lectures/"+lid, nil, inst.Token).StatusCode
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusConflict}) {
			t.Errorf("round %d: statuses %v, want one 200 and one 409", round, statuses)
		}
		doc := s.courseDoc(t, id)
		if n := lecturesOf(id); n != 1 || doc["isPublished"] != true || fmt.Sprint(doc["totalLectures"]) != "1" {
			t.Errorf("round %d: published %v with %d lectures (totalLectures %v), want 1", round, doc["isPublished"], n, doc["totalLectures"])
		}
	}
	for round := range 4 {
		c := s.createCourse(t, inst.Token, nil)
		id := c["_id"].(string)
		lid := s.addLecture(t, inst.Token, id, "Only", 1, false, 3)["_id"].(string)
		var wg sync.WaitGroup
		wg.Go(func() {
			s.Do(t, http.MethodPatch, catalogCourses+"/"+id+"/publish", map[string]bool{"isPublished": true}, inst.Token)
		})
		wg.Go(func() { s.Do(t, http.MethodDelete, catalogCourses+"/"+id+"/lectures/"+lid, nil, inst.Token) })
		wg.Wait()
		if doc := s.courseDoc(t, id); doc["isPublished"] == true && lecturesOf(id) == 0 {
			t.Errorf("round %d: published without lectures", round)
		}
	}
}
