package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

func TestCatalogCreateCourse(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student, admin := s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)

	t.Run("instructor", func(t *testing.T) {
		before := time.Now().UTC().Add(-time.Second)
		fields := catalogCourseFields(map[string]string{"title": "  Go Testing  ", "level": "", "subtitle": "", "description": ""})
		thumb := catalogThumb(t)
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, fields, thumb)
		m := wantOK(t, resp, http.StatusCreated, "Course created successfully")
		wantKeys(t, "envelope", m, "success", "message", "course")
		c := apptest.Object(t, m, "course")
		wantKeys(t, "course", c, catalogCourseKeys...)
		want := map[string]any{
			"title": "Go Testing", "subtitle": "", "description": "", "category": "Programming", "level": "beginner",
			"price": 19.99, "instructor": inst.ID, "isPublished": false, "totalLectures": 0.0, "totalDuration": 0.0,
			"enrolledCount": 0.0,
		}
		for k, v := range want {
			if c[k] != v {
				t.Errorf("course %s = %#v, want %#v", k, c[k], v)
			}
		}
		if l, ok := c["lectures"].([]any); !ok || len(l) != 0 {
			t.Errorf("lectures = %#v, want []", c["lectures"])
		}
		if id, _ := c["_id"].(string); len(id) != 24 {
			t.Errorf("_id = %v, want a 24-hex id", c["_id"])
		}
		for _, k := range []string{"createdAt", "updatedAt"} {
			ts, err := time.Parse(time.RFC3339Nano, c[k].(string))
			if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Second)) || !strings.HasSuffix(c[k].(string), "Z") {
				t.Errorf("%s = %v, want a recent UTC RFC 3339 time", k, c[k])
			}
		}
		// The thumbnail is a public image URL serving what was uploaded.
		thumbURL, _ := c["thumbnail"].(string)
		if !strings.Contains(thumbURL, "/media/images/") || !strings.HasSuffix(thumbURL, ".png") {
			t.Fatalf("thumbnail = %q, want a /media/images/….png URL", thumbURL)
		}
		img := s.fetch(t, thumbURL, nil)
		if img.StatusCode != http.StatusOK || !bytes.Equal(img.Body, thumb.data) || img.Header.Get("Content-Type") != "image/png" {
			t.Errorf("GET thumbnail: %d %q, %d bytes; want 200 image/png with the upload", img.StatusCode, img.Header.Get("Content-Type"), len(img.Body))
		}
		// The stored name is generated, never the client's.
		if strings.Contains(thumbURL, "cover") {
			t.Errorf("thumbnail URL %q uses the client's file name", thumbURL)
		}
		doc := s.courseDoc(t, c["_id"].(string))
		if doc["isPublished"] != false || doc["title"] != "Go Testing" {
			t.Errorf("stored course %v", doc)
		}
	})

	t.Run("admin", func(t *testing.T) {
		c := s.createCourse(t, admin.Token, map[string]string{"level": "Advanced"})
		if c["instructor"] != admin.ID || c["level"] != "advanced" {
			t.Errorf("admin's course: instructor %v level %v, want %s advanced", c["instructor"], c["level"], admin.ID)
		}
	})

	t.Run("forbidden", func(t *testing.T) {
		files := s.mediaFiles(t)
		resp := s.sendForm(t, http.MethodPost, catalogCourses, "", catalogCourseFields(nil), catalogThumb(t))
		apptest.WantError(t, resp, http.StatusUnauthorized, catalogMsgNotLoggedIn)
		resp = s.sendForm(t, http.MethodPost, catalogCourses, student.Token, catalogCourseFields(nil), catalogThumb(t))
		apptest.WantError(t, resp, http.StatusForbidden, catalogMsgNoPermission)
		resp = s.sendForm(t, http.MethodPost, catalogCourses, "not-a-jwt", catalogCourseFields(nil), catalogThumb(t))
		apptest.WantError(t, resp, http.StatusUnauthorized, "JWT token error")
		s.wantMediaFiles(t, files)
	})
}

func TestCatalogCreateCourseValidation(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	files := s.mediaFiles(t)

	t.Run("every bad field at once", func(t *testing.T) {
		fields := map[string]string{
			"title": strings.Repeat("t", 101), "subtitle": strings.Repeat("s", 201), "description": strings.Repeat("d", 5001),
			"level": "expert", "price": "-1",
		} // no category
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, fields, catalogThumb(t))
		wantValidationMessages(t, resp, map[string]string{
			"title": "", "subtitle": "", "description": "", "category": "", "level": catalogMsgBadLevel, "price": "",
		})
	})
	t.Run("required fields", func(t *testing.T) {
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, map[string]string{"title": "   "})
		wantValidationMessages(t, resp, map[string]string{"title": "", "category": "", "price": ""})
	})
	t.Run("level", func(t *testing.T) {
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(map[string]string{"level": "guru"}), catalogThumb(t))
		wantValidationMessages(t, resp, map[string]string{"level": catalogMsgBadLevel})
	})
	t.Run("price", func(t *testing.T) {
		for _, p := range []string{"abc", "NaN", "-0.01", "1e300", "Inf"} {
			resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(map[string]string{"price": p}), catalogThumb(t))
			wantValidationMessages(t, resp, map[string]string{"price": ""})
		}
	})
	t.Run("thumbnail required", func(t *testing.T) {
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(nil))
		apptest.WantError(t, resp, http.StatusBadRequest, catalogMsgNoThumbnail)
		// A browser form with an empty file input sends filename="" and no bytes.
		resp = s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(nil), formFile{field: "thumbnail"})
		apptest.WantError(t, resp, http.StatusBadRequest, catalogMsgNoThumbnail)
	})
	t.Run("thumbnail not a file", func(t *testing.T) {
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(map[string]string{"thumbnail": "http://evil.test/x.png"}))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("thumbnail as text: status %d, want 400; body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("fields a client may not set", func(t *testing.T) {
		for _, f := range []string{"isPublished", "instructor", "enrolledCount", "totalLectures", "totalDuration"} {
			resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(map[string]string{f: "1"}), catalogThumb(t))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("create with %s: status %d, want 400; body %s", f, resp.StatusCode, resp.Body)
			}
		}
	})
	t.Run("JSON is not a create body", func(t *testing.T) {
		resp := s.Do(t, http.MethodPost, catalogCourses, map[string]any{"title": "x", "category": "y", "price": 1}, inst.Token)
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("JSON create: status %d, want 415; body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("malformed multipart", func(t *testing.T) {
		resp := s.NewRequest(t, http.MethodPost, catalogCourses, "--x\r\nnot a part").
			WithHeader("Content-Type", "multipart/form-data; boundary=x").WithCookie(inst.Token).Send(t)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed multipart: status %d, want 400; body %s", resp.StatusCode, resp.Body)
		}
	})
	// Uploads of refused forms are removed; nothing was created.
	s.wantMediaFiles(t, files)
	if n := s.Count(t, "courses", bson.M{}); n != 0 {
		t.Errorf("%d courses stored by invalid requests", n)
	}
}

func TestCatalogUpdateCourse(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, admin := s.signUp(t, "instructor"), s.admin(t)
	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	path := catalogCourses + "/" + id

	t.Run("JSON", func(t *testing.T) {
		resp := s.Do(t, http.MethodPatch, path, map[string]any{"title": " Renamed ", "price": 0, "level": "ADVANCED"}, inst.Token)
		m := wantOK(t, resp, http.StatusOK, "Course updated successfully")
		got := apptest.Object(t, m, "course")
		wantKeys(t, "course", got, catalogCourseKeys...)
		if got["title"] != "Renamed" || got["price"] != 0.0 || got["level"] != "advanced" || got["category"] != "Programming" {
			t.Errorf("updated course %v", got)
		}
		if got["thumbnail"] != c["thumbnail"] {
			t.Errorf("thumbnail changed by a JSON update: %v", got["thumbnail"])
		}
	})

	t.Run("admin", func(t *testing.T) {
		resp := s.Do(t, http.MethodPatch, path, map[string]any{"subtitle": "by admin"}, admin.Token)
		got := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Course updated successfully"), "course")
		if got["subtitle"] != "by admin" || got["instructor"] != inst.ID {
			t.Errorf("admin update: subtitle %v instructor %v", got["subtitle"], got["instructor"])
		}
	})

	t.Run("fields a client may not set", func(t *testing.T) {
		before := s.courseDoc(t, id)
		for _, body := range []map[string]any{
			{"instructor": admin.ID}, {"isPublished": true}, {"enrolledCount": 5}, {"totalLectures": 3},
			{"totalDuration": 1}, {"lectures": []string{}}, {"thumbnail": "x"}, {"Title": "case"}, {"title": "ok", "isPublished": true},
		} {
			resp := s.Do(t, http.MethodPatch, path, body, inst.Token)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("PATCH %v: status %d, want 400; body %s", body, resp.StatusCode, resp.Body)
			}
		}
		for _, f := range []string{"instructor", "isPublished", "enrolledCount", "totalLectures", "thumbnailUrl"} {
			resp := s.sendForm(t, http.MethodPatch, path, inst.Token, map[string]string{"title": "ok", f: "1"})
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("multipart PATCH with %s: status %d, want 400; body %s", f, resp.StatusCode, resp.Body)
			}
		}
		after := s.courseDoc(t, id)
		for _, k := range []string{"title", "instructor", "isPublished", "enrolledCount", "totalLectures", "updatedAt"} {
			if before[k] != after[k] {
				t.Errorf("%s changed by refused updates: %v → %v", k, before[k], after[k])
			}
		}
	})

	t.Run("validation", func(t *testing.T) {
		resp := s.Do(t, http.MethodPatch, path, map[string]any{"title": "", "category": " ", "level": "pro", "price": -5}, inst.Token)
		wantValidationMessages(t, resp, map[string]string{"title": "", "category": "", "level": catalogMsgBadLevel, "price": ""})
		resp = s.Do(t, http.MethodPatch, path, map[string]any{"price": "free"}, inst.Token)
		wantValidationMessages(t, resp, map[string]string{"price": ""})
		resp = s.sendForm(t, http.MethodPatch, path, inst.Token, map[string]string{"level": "expert"})
		wantValidationMessages(t, resp, map[string]string{"level": catalogMsgBadLevel})
		resp = s.NewRequest(t, http.MethodPatch, path, "{").WithHeader("Content-Type", "application/json").WithCookie(inst.Token).Send(t)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed JSON: status %d, want 400", resp.StatusCode)
		}
		resp = s.NewRequest(t, http.MethodPatch, path, "title=x").WithHeader("Content-Type", "text/plain").WithCookie(inst.Token).Send(t)
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain body: status %d, want 415", resp.StatusCode)
		}
		if got := s.courseDoc(t, id)["level"]; got != "advanced" {
			t.Errorf("level = %v after refused updates", got)
		}
	})

	t.Run("multipart with a new thumbnail", func(t *testing.T) {
		oldFile := s.fileOf(t, c["thumbnail"].(string))
		if !catalogExists(t, oldFile) {
			t.Fatalf("old thumbnail %s missing before the update", oldFile)
		}
		resp := s.sendForm(t, http.MethodPatch, path, inst.Token, map[string]string{"title": "With new cover", "price": "7.5"}, catalogThumb(t))
		got := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Course updated successfully"), "course")
		if got["title"] != "With new cover" || got["price"] != 7.5 {
			t.Errorf("multipart update: %v", got)
		}
		newURL, _ := got["thumbnail"].(string)
		if newURL == c["thumbnail"] || !catalogExists(t, s.fileOf(t, newURL)) {
			t.Errorf("new thumbnail %q not stored", newURL)
		}
		if catalogExists(t, oldFile) {
			t.Errorf("replaced thumbnail %s still on disk", oldFile)
		}
		// A failed update with a thumbnail leaves no new file behind.
		files := s.mediaFiles(t)
		// An empty file input (as a browser sends it) keeps the thumbnail.
		resp = s.sendForm(t, http.MethodPatch, path, inst.Token, map[string]string{"subtitle": "same cover"}, formFile{field: "thumbnail"})
		got = apptest.Object(t, wantOK(t, resp, http.StatusOK, "Course updated successfully"), "course")
		if got["thumbnail"] != newURL || got["subtitle"] != "same cover" {
			t.Errorf("update with an empty file input: thumbnail %v subtitle %v", got["thumbnail"], got["subtitle"])
		}
		s.wantMediaFiles(t, files)
		resp = s.sendForm(t, http.MethodPatch, path, inst.Token, map[string]string{"level": "nope"}, catalogThumb(t))
		wantValidationMessages(t, resp, map[string]string{"level": catalogMsgBadLevel})
		s.wantMediaFiles(t, files)
	})

	t.Run("missing course", func(t *testing.T) {
		resp := s.Do(t, http.MethodPatch, catalogCourses+"/0123456789abcdef01234567", map[string]any{"title": "x"}, inst.Token)
		apptest.WantError(t, resp, http.StatusNotFound, catalogMsgNotFound)
	})
}

func TestCatalogPublish(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, admin := s.signUp(t, "instructor"), s.admin(t)
	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	path := catalogCourses + "/" + id + "/publish"
	publish := func(t *testing.T, body any, token string, want bool) {
		t.Helper()
		resp := s.Do(t, http.MethodPatch, path, body, token)
		msg := "Course unpublished successfully"
		if want {
			msg = "Course published successfully"
		}
		got := apptest.Object(t, wantOK(t, resp, http.StatusOK, msg), "course")
		wantKeys(t, "course", got, catalogCourseKeys...)
		if got["isPublished"] != want {
			t.Errorf("isPublished = %v, want %v", got["isPublished"], want)
		}
		if stored := s.courseDoc(t, id)["isPublished"]; stored != want {
			t.Errorf("stored isPublished = %v, want %v", stored, want)
		}
	}

	// No lectures: cannot publish, however asked.
	apptest.WantError(t, s.Do(t, http.MethodPatch, path, nil, inst.Token), http.StatusBadRequest, catalogMsgNoLectures)
	apptest.WantError(t, s.Do(t, http.MethodPatch, path, map[string]bool{"isPublished": true}, inst.Token), http.StatusBadRequest, catalogMsgNoLectures)
	// Unpublishing a draft is harmless.
	publish(t, map[string]bool{"isPublished": false}, inst.Token, false)

	s.addLecture(t, inst.Token, id, "Only lecture", 1, false, 5)
	publish(t, nil, inst.Token, true)                                     // empty body toggles on
	publish(t, nil, inst.Token, false)                                    // and off
	publish(t, map[string]any{}, inst.Token, true)                        // {} toggles too
	publish(t, map[string]bool{"isPublished": true}, inst.Token, true)    // explicit, idempotent
	publish(t, map[string]bool{"isPublished": false}, admin.Token, false) // admin
	publish(t, map[string]bool{"isPublished": false}, inst.Token, false)  // idempotent
	publish(t, map[string]bool{"isPublished": true}, admin.Token, true)   // admin publishes
	publish(t, map[string]bool{"isPublished": false}, inst.Token, false)  // owner unpublishes
	publish(t, map[string]any{"isPublished": nil}, inst.Token, true)      // null = not given: toggles
	publish(t, map[string]bool{"isPublished": false}, inst.Token, false)  // back to draft
	// "No body" is no body whatever the headers: an empty body sent with a
	// JSON Content-Type, a blank one, or a chunked empty one.
	for i, req := range []*apptest.Request{
		s.NewRequest(t, http.MethodPatch, path, nil).WithHeader("Content-Type", "application/json"),
		s.NewRequest(t, http.MethodPatch, path, " \n").WithHeader("Content-Type", "application/json"),
		s.NewRequest(t, http.MethodPatch, path, io.NopCloser(strings.NewReader(""))),
	} {
		if i == 2 {
			req.ContentLength = -1 // chunked
		}
		resp := req.WithCookie(inst.Token).Send(t)
		wantOK(t, resp, http.StatusOK, "")
		if got := apptest.Object(t, resp.JSON(t), "course")["isPublished"]; got != (i%2 == 0) {
			t.Errorf("empty body #%d: isPublished %v, want a toggle to %v", i, got, i%2 == 0)
		}
	}
	publish(t, nil, inst.Token, false)
	resp := s.NewRequest(t, http.MethodPatch, path, `{"isPublished":true}`).WithCookie(inst.Token).Send(t)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body without Content-Type: status %d, want 415", resp.StatusCode)
	}
	big := `{"isPublished":true,"pad":"` + strings.Repeat("x", 20<<10) + `"}`
	for _, ct := range []string{"application/json", "multipart/form-data; boundary=x"} {
		resp := s.NewRequest(t, http.MethodPatch, path, big).WithHeader("Content-Type", ct).WithCookie(inst.Token).Send(t)
		if resp.StatusCode != http.StatusRequestEntityTooLarge && resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("20 KiB %s body: status %d, want 413 or 415", ct, resp.StatusCode)
		}
	}
	for _, body := range []any{`{"isPublished":"yes"}`, `{"published":true}`, `{"isPublished":true,"title":"x"}`, `[true]`, `{`} {
		resp := s.NewRequest(t, http.MethodPatch, path, body).WithHeader("Content-Type", "application/json").WithCookie(inst.Token).Send(t)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("publish body %s: status %d, want 400; body %s", body, resp.StatusCode, resp.Body)
		}
	}
	if s.courseDoc(t, id)["isPublished"] != false {
		t.Error("a refused publish request changed the course")
	}

	// A published course keeps its last lecture (see
	// TestCatalogLastLectureOfPublishedCourse); once unpublished it may lose
	// it, and then cannot be republished.
	for _, l := range objects(t, s.getCourse(t, inst.Token, id), "lectures") {
		resp := s.Do(t, http.MethodDelete, catalogCourses+"/"+id+"/lectures/"+l["_id"].(string), nil, inst.Token)
		wantOK(t, resp, http.StatusOK, "Lecture removed successfully")
	}
	apptest.WantError(t, s.Do(t, http.MethodPatch, path, nil, inst.Token), http.StatusBadRequest, catalogMsgNoLectures)
}

func TestCatalogDeleteCourse(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student, admin := s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)
	emptyFiles := s.mediaFiles(t)

	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	l1 := s.addLecture(t, inst.Token, id, "One", 1, true, 12.5)
	l2 := s.addLecture(t, inst.Token, id, "Two", 2, false, 3)
	s.publish(t, inst.Token, id)
	files := []string{s.fileOf(t, c["thumbnail"].(string)), s.fileOf(t, l1["videoUrl"].(string)), s.fileOf(t, l2["videoUrl"].(string))}
	for _, f := range files {
		if !catalogExists(t, f) {
			t.Fatalf("media file %s missing", f)
		}
	}
	// Progress records of the course go with it.
	s.SeedProgress(t, student.ID, id, []string{l1["_id"].(string), l2["_id"].(string)}, true)

	// Someone is enrolled: 409, nothing removed.
	s.Enrol(t, student.ID, id)
	resp := s.Do(t, http.MethodDelete, catalogCourses+"/"+id, nil, inst.Token)
	apptest.WantError(t, resp, http.StatusConflict, catalogMsgHasStudents)
	resp = s.Do(t, http.MethodDelete, catalogCourses+"/"+id, nil, admin.Token)
	apptest.WantError(t, resp, http.StatusConflict, catalogMsgHasStudents)
	if n := s.Count(t, "lectures", bson.M{"course": objectID(t, id)}); n != 2 {
		t.Errorf("%d lectures left after a refused delete, want 2", n)
	}
	for _, f := range files {
		if !catalogExists(t, f) {
			t.Errorf("refused delete removed %s", f)
		}
	}
	s.getCourse(t, "", id)

	// Nobody enrolled any more: deleted with its lectures, progress and media.
	s.Unenrol(t, student.ID, id)
	resp = s.Do(t, http.MethodDelete, catalogCourses+"/"+id, nil, inst.Token)
	m := wantOK(t, resp, http.StatusOK, "Course deleted successfully")
	wantKeys(t, "delete envelope", m, "success", "message")
	if n := s.Count(t, "courses", bson.M{"_id": objectID(t, id)}); n != 0 {
		t.Errorf("course still stored")
	}
	if n := s.Count(t, "lectures", bson.M{"course": objectID(t, id)}); n != 0 {
		t.Errorf("%d lectures left after delete", n)
	}
	if n := s.Count(t, "courseprogresses", bson.M{"course": objectID(t, id)}); n != 0 {
		t.Errorf("%d progress records left after delete", n)
	}
	s.wantMediaFiles(t, emptyFiles)
	apptest.WantError(t, s.Do(t, http.MethodGet, catalogCourses+"/"+id, nil, inst.Token), http.StatusNotFound, catalogMsgNotFound)
	apptest.WantError(t, s.Do(t, http.MethodGet, catalogCourses+"/"+id+"/lectures", nil, inst.Token), http.StatusNotFound, catalogMsgNotFound)
	apptest.WantError(t, s.Do(t, http.MethodDelete, catalogCourses+"/"+id, nil, inst.Token), http.StatusNotFound, catalogMsgNotFound)
	apptest.WantError(t, s.fetch(t, c["thumbnail"].(string), nil), http.StatusNotFound, "Media not found")

	// An admin may delete anyone's course.
	c2 := s.createCourse(t, inst.Token, nil)
	resp = s.Do(t, http.MethodDelete, catalogCourses+"/"+c2["_id"].(string), nil, admin.Token)
	wantOK(t, resp, http.StatusOK, "Course deleted successfully")
	s.wantMediaFiles(t, emptyFiles)
}

func TestCatalogDraftVisibility(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner, other, student, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)
	c := s.createCourse(t, owner.Token, nil)
	id := c["_id"].(string)
	s.addLecture(t, owner.Token, id, "Draft lecture", 1, true, 4)

	viewers := []struct {
		name, token string
		seesDraft   bool
	}{
		{"anonymous", "", false}, {"bad cookie", "garbage", false}, {"student", student.Token, false},
		{"other instructor", other.Token, false}, {"owner", owner.Token, true}, {"admin", admin.Token, true},
	}
	check := func(t *testing.T, published bool) {
		for _, v := range viewers {
			for _, p := range []string{"/" + id, "/" + id + "/lectures"} {
				resp := s.Do(t, http.MethodGet, catalogCourses+p, nil, v.token)
				if published || v.seesDraft {
					wantOK(t, resp, http.StatusOK, "")
				} else {
					apptest.WantError(t, resp, http.StatusNotFound, catalogMsgNotFound)
				}
			}
		}
	}
	t.Run("draft", func(t *testing.T) { check(t, false) })
	s.publish(t, owner.Token, id)
	t.Run("published", func(t *testing.T) { check(t, true) })
	resp := s.Do(t, http.MethodPatch, catalogCourses+"/"+id+"/publish", nil, admin.Token)
	wantOK(t, resp, http.StatusOK, "Course unpublished successfully")
	t.Run("unpublished again", func(t *testing.T) { check(t, false) })

	// A missing course looks the same as a hidden draft.
	for _, p := range []string{"/0123456789abcdef01234567", "/0123456789abcdef01234567/lectures"} {
		apptest.WantError(t, s.Do(t, http.MethodGet, catalogCourses+p, nil, admin.Token), http.StatusNotFound, catalogMsgNotFound)
	}
}

func TestCatalogCourseDetail(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	if resp := s.Do(t, http.MethodPatch, "/api/v1/user/profile", map[string]string{"bio": "Teaches things"}, inst.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("set bio: %d %s", resp.StatusCode, resp.Body)
	}
	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	// Added out of order: lectures come back by order.
	l3 := s.addLecture(t, inst.Token, id, "Third", 30, false, 3)
	l1 := s.addLecture(t, inst.Token, id, "First", 10, true, 1)
	l2 := s.addLecture(t, inst.Token, id, "Second", 20, false, 2)
	s.publish(t, inst.Token, id)

	d := s.getCourse(t, "", id)
	wantKeys(t, "course", d, catalogCourseKeys...)
	in := apptest.Object(t, d, "instructor")
	wantKeys(t, "instructor", in, "_id", "name", "avatar", "bio")
	if in["_id"] != inst.ID || in["name"] != inst.Name || in["bio"] != "Teaches things" {
		t.Errorf("instructor = %v", in)
	}
	lectures := objects(t, d, "lectures")
	want := []string{l1["_id"].(string), l2["_id"].(string), l3["_id"].(string)}
	if got := idsOf(lectures); !slices.Equal(got, want) {
		t.Errorf("lecture order %v, want %v", got, want)
	}
	for _, l := range lectures {
		wantKeys(t, "lecture", l, catalogLectureKeys...)
		if l["course"] != id {
			t.Errorf("lecture course = %v, want %s", l["course"], id)
		}
	}
	if d["totalLectures"] != 3.0 || d["totalDuration"] != 6.0 {
		t.Errorf("totals %v / %v, want 3 / 6", d["totalLectures"], d["totalDuration"])
	}
	resp := s.Do(t, http.MethodGet, catalogCourses+"/"+id+"/lectures", nil, "")
	list := wantOK(t, resp, http.StatusOK, "")
	wantKeys(t, "lectures envelope", list, "success", "data")
	if got := idsOf(objects(t, list, "data")); !slices.Equal(got, want) {
		t.Errorf("GET lectures order %v, want %v", got, want)
	}
}

func TestCatalogMalformedIDs(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	c := s.createCourse(t, inst.Token, nil)
	id := c["_id"].(string)
	l := s.addLecture(t, inst.Token, id, "L", 1, false, 1)
	lid := l["_id"].(string)
	files := s.mediaFiles(t)

	for _, bad := range []string{"123", "xyz", "0123456789abcdef0123456g", "0123456789abcdef012345678", "%24where", "null", "..%2F"} {
		for _, r := range []struct{ method, path, message string }{
			{http.MethodGet, "/" + bad, catalogMsgInvalidCourse},
			{http.MethodGet, "/" + bad + "/lectures", catalogMsgInvalidCourse},
			{http.MethodPatch, "/" + bad, catalogMsgInvalidCourse},
			{http.MethodPatch, "/" + bad + "/publish", catalogMsgInvalidCourse},
			{http.MethodDelete, "/" + bad, catalogMsgInvalidCourse},
			{http.MethodPost, "/" + bad + "/lectures", catalogMsgInvalidCourse},
			{http.MethodPatch, "/" + bad + "/lectures/" + lid, catalogMsgInvalidCourse},
			{http.MethodDelete, "/" + bad + "/lectures/" + lid, catalogMsgInvalidCourse},
			{http.MethodPatch, "/" + id + "/lectures/" + bad, catalogMsgInvalidLect},
			{http.MethodDelete, "/" + id + "/lectures/" + bad, catalogMsgInvalidLect},
		} {
			var resp = s.Do(t, r.method, catalogCourses+r.path, nil, inst.Token)
			if r.method == http.MethodPost || r.method == http.MethodPatch && !strings.HasSuffix(r.path, "/publish") {
				resp = s.sendForm(t, r.method, catalogCourses+r.path, inst.Token, map[string]string{"title": "x"}, catalogVideo(1))
			}
			apptest.WantError(t, resp, http.StatusBadRequest, r.message)
		}
	}
	s.wantMediaFiles(t, files)
	if got := s.courseDoc(t, id)["totalLectures"]; got != int32(1) && got != int64(1) {
		t.Errorf("totalLectures = %v (%T), want 1", got, got)
	}
}

// A PATCH of a course or a lecture that changes nothing, or whose multipart
// body does not parse, is refused and changes nothing (it used to answer a
// silent 200).
func TestCatalogPatchWithNothingToUpdate(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)
	lectureID := s.addLecture(t, inst.Token, courseID, "One", 1, false, 3)["_id"].(string)
	for _, path := range []string{catalogCourses + "/" + courseID, catalogCourses + "/" + courseID + "/lectures/" + lectureID} {
		apptest.WantError(t, s.Do(t, http.MethodPatch, path, map[string]any{}, inst.Token), http.StatusBadRequest, "Nothing to update")
		apptest.WantError(t, s.sendForm(t, http.MethodPatch, path, inst.Token, nil), http.StatusBadRequest, "Nothing to update")
		resp := s.NewRequest(t, http.MethodPatch, path, strings.NewReader("this is not multipart")).
			WithHeader("Content-Type", "multipart/form-data; boundary=xyz").WithCookie(inst.Token).Send(t)
		apptest.WantError(t, resp, http.StatusBadRequest, "Malformed multipart body")
	}
}
