package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

const (
	progMsgCourseNotFound  = "Course not found"
	progMsgRecordNotFound  = "Course progress not found"
	progMsgNotInCourse     = "Lecture does not belong to this course"
	progMsgCompleted       = "Course marked as completed"
	progMsgReset           = "Course progress has been reset"
	progMsgNotLoggedIn     = "You are not logged in"
	progMsgInvalidCourseID = "Invalid course ID"
	progMsgInvalidLecture  = "Invalid lecture ID"
)

func TestProgressNeedsASession(t *testing.T) {
	s := progStart(t)
	c := s.course(t, "Go", 1)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, progBase + c.ID},
		{http.MethodPatch, progBase + c.ID + "/lectures/" + c.Lectures[0]},
		{http.MethodPost, progBase + c.ID + "/complete"},
		{http.MethodPost, progBase + c.ID + "/reset"},
	} {
		resp := s.Do(t, tc.method, tc.path, map[string]bool{"isCompleted": true}, "")
		apptest.WantError(t, resp, http.StatusUnauthorized, progMsgNotLoggedIn)
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Errorf("%d records without a session", n)
	}
}

func TestProgressInvalidIDs(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 1)
	for _, bad := range []string{"nope", "123", strings.Repeat("g", 24), c.ID + "0", c.ID[1:]} {
		apptest.WantError(t, s.Do(t, http.MethodGet, progBase+bad, nil, u.Token), http.StatusBadRequest, progMsgInvalidCourseID)
		apptest.WantError(t, s.patch(t, u, bad, c.Lectures[0], true), http.StatusBadRequest, progMsgInvalidCourseID)
		apptest.WantError(t, s.complete(t, u, bad), http.StatusBadRequest, progMsgInvalidCourseID)
		apptest.WantError(t, s.reset(t, u, bad), http.StatusBadRequest, progMsgInvalidCourseID)
		apptest.WantError(t, s.patch(t, u, c.ID, bad, true), http.StatusBadRequest, progMsgInvalidLecture)
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Errorf("%d records after bad requests", n)
	}
}

func TestProgressGetNotFound(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 2)
	unknown := "0123456789abcdef01234567"

	apptest.WantError(t, s.get(t, u, unknown), http.StatusNotFound, progMsgCourseNotFound)
	apptest.WantError(t, s.get(t, u, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.get(t, u, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Errorf("GET created %d records", n)
	}
}

// TestProgressFirstPatchOnlyCreates covers the documented quirk: the first
// PATCH creates the record with every lecture not completed and does not
// apply its value; later ones do.
func TestProgressFirstPatchOnlyCreates(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 3)
	before := time.Now().Add(-time.Second)

	rec, data := progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	if data["user"] != u.ID || data["course"] != c.ID {
		t.Errorf("user %v, course %v; want the ids %s, %s", data["user"], data["course"], u.ID, c.ID)
	}
	if len(rec.ID) != 24 {
		t.Errorf("_id %q", rec.ID)
	}
	if !slices.Equal(rec.lectures(), c.Lectures) {
		t.Errorf("entries %v, want one per lecture %v", rec.lectures(), c.Lectures)
	}
	for _, e := range rec.LectureProgress {
		if e.IsCompleted || e.LastWatched != nil {
			t.Errorf("first PATCH applied its value: entry %+v", e)
		}
	}
	if rec.CompletionPercentage != 0 || rec.IsCompleted {
		t.Errorf("first PATCH: %d %%, completed %v", rec.CompletionPercentage, rec.IsCompleted)
	}
	if rec.CreatedAt.Before(before) || rec.LastAccessed.Before(before) || rec.UpdatedAt.Before(before) {
		t.Errorf("timestamps %v %v %v", rec.CreatedAt, rec.LastAccessed, rec.UpdatedAt)
	}

	rec, _ = progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	if !slices.Equal(rec.completed(), c.Lectures[:1]) {
		t.Errorf("second PATCH: completed %v, want %v", rec.completed(), c.Lectures[:1])
	}
	lw := rec.LectureProgress[0].LastWatched
	if lw == nil || lw.Before(before) || lw.After(time.Now().Add(time.Second)) {
		t.Errorf("lastWatched %v, want now", lw)
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 1 {
		t.Errorf("%d records, want 1", n)
	}

	// GET shows what PATCH returned.
	got, _ := progWantData(t, s.get(t, u, c.ID))
	if got.ID != rec.ID || !slices.Equal(got.completed(), rec.completed()) || !got.UpdatedAt.Equal(rec.UpdatedAt) ||
		!got.LectureProgress[0].LastWatched.Equal(*lw) {
		t.Errorf("GET %+v, PATCH returned %+v", got, rec)
	}
}

func TestProgressRounding(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 3)
	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true)) // creates

	steps := []struct {
		lecture   int
		completed bool
		want      int
	}{
		{0, true, 33},
		{1, true, 67},
		{1, true, 67}, // idempotent
		{2, true, 100},
		{2, false, 67},
		{0, false, 33},
		{1, false, 0},
	}
	for _, st := range steps {
		rec, _ := progWantData(t, s.patch(t, u, c.ID, c.Lectures[st.lecture], st.completed))
		if rec.CompletionPercentage != st.want || rec.IsCompleted != (st.want == 100) {
			t.Errorf("lecture %d → %v: %d %% (completed %v), want %d %%", st.lecture, st.completed, rec.CompletionPercentage, rec.IsCompleted, st.want)
		}
		doc := s.stored(t, u.ID, c.ID)
		if p := fmt.Sprint(doc["completionPercentage"]); p != fmt.Sprint(st.want) || doc["isCompleted"] != (st.want == 100) {
			t.Errorf("stored %v %%, completed %v; want %d", p, doc["isCompleted"], st.want)
		}
	}
}

func TestProgressPatchBody(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 2)
	path := progBase + c.ID + "/lectures/" + c.Lectures[0]

	// Bad bodies are refused before anything is created, and again once
	// the record exists.
	for round := range 2 {
		for _, body := range []string{
			``,
			`{}`,
			`{"isCompleted":null}`,
			`{"isCompleted":"true"}`,
			`{"isCompleted":1}`,
			`{"isCompleted":true,"user":"` + u.ID + `"}`,
			`{"isCompleted":true,"completionPercentage":100}`,
			`{"IsCompleted":true}`,
			`[true]`,
			`true`,
			`not json`,
			`{"isCompleted":true`,
			`{"isCompleted":true}{"isCompleted":false}`,
		} {
			resp := s.NewRequest(t, http.MethodPatch, path, body).
				WithHeader("Content-Type", "application/json").WithCookie(u.Token).Send(t)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("round %d, body %q: status %d, want 400; %s", round, body, resp.StatusCode, resp.Body)
				continue
			}
			wantAnyFail(t, resp, http.StatusBadRequest)
		}
		resp := s.NewRequest(t, http.MethodPatch, path, `{"isCompleted":true}`).
			WithHeader("Content-Type", "text/plain").WithCookie(u.Token).Send(t)
		wantAnyFail(t, resp, http.StatusUnsupportedMediaType)

		if round == 0 {
			if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
				t.Fatalf("bad bodies created %d records", n)
			}
			progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
		}
	}
	rec, _ := progWantData(t, s.get(t, u, c.ID))
	if len(rec.completed()) != 0 {
		t.Errorf("a refused body changed the record: %v", rec.completed())
	}

	// A missing isCompleted is a validation error naming the field.
	resp := s.Do(t, http.MethodPatch, path, map[string]any{}, u.Token)
	var v struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	_ = json.Unmarshal(resp.Body, &v)
	if len(v.Errors) != 1 || v.Errors[0].Field != "isCompleted" {
		t.Errorf("missing isCompleted: %s", resp.Body)
	}
}

func TestProgressLectureMustBelongToCourse(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c, other := s.course(t, "Go", 2), s.course(t, "Rust", 1)
	unknown := "0123456789abcdef01234567"

	// Before the record exists: nothing is created.
	apptest.WantError(t, s.patch(t, u, c.ID, other.Lectures[0], true), http.StatusBadRequest, progMsgNotInCourse)
	apptest.WantError(t, s.patch(t, u, c.ID, unknown, true), http.StatusBadRequest, progMsgNotInCourse)
	apptest.WantError(t, s.patch(t, u, unknown, c.Lectures[0], true), http.StatusNotFound, progMsgCourseNotFound)
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Fatalf("refused PATCHes created %d records", n)
	}

	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	apptest.WantError(t, s.patch(t, u, c.ID, other.Lectures[0], true), http.StatusBadRequest, progMsgNotInCourse)
	rec, _ := progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.lectures(), c.Lectures) || len(rec.completed()) != 0 {
		t.Errorf("record after a foreign lecture: %+v", rec)
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

func TestProgressGetPopulates(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	s.SetAvatar(t, u.ID, "avatars/ada.png")
	c := s.course(t, "Go", 0)
	// Lectures are listed by order, not by insertion.
	third := s.addLecture(t, c.ID, 3)
	first := s.addLecture(t, c.ID, 1)
	second := s.addLecture(t, c.ID, 2)
	ordered := []string{first, second, third}

	progWantData(t, s.patch(t, u, c.ID, first, true)) // creates
	progWantData(t, s.patch(t, u, c.ID, first, true))
	progWantData(t, s.patch(t, u, c.ID, second, true))

	rec, data := progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.lectures(), ordered) || !slices.Equal(rec.completed(), ordered[:2]) || rec.CompletionPercentage != 67 {
		t.Errorf("record %+v", rec)
	}
	course := data["course"].(map[string]any)
	wantKeys(t, "course", course, "_id", "title", "subtitle", "description", "thumbnail", "lectures")
	if course["_id"] != c.ID || course["title"] != "Go" || course["subtitle"] != "Go subtitle" || course["description"] != "Go description" {
		t.Errorf("course %v", course)
	}
	if th, _ := course["thumbnail"].(string); !strings.HasSuffix(th, "/media/thumbnails/"+c.ID+".png") {
		t.Errorf("thumbnail %q, want a media URL", th)
	}
	var lectures []string
	for _, l := range course["lectures"].([]any) {
		lectures = append(lectures, l.(string))
	}
	if !slices.Equal(lectures, ordered) {
		t.Errorf("course lectures %v, want %v", lectures, ordered)
	}
	user := data["user"].(map[string]any)
	wantKeys(t, "user", user, "_id", "name", "email", "avatar")
	if user["_id"] != u.ID || user["name"] != u.Name || user["email"] != u.Email {
		t.Errorf("user %v", user)
	}
	if av, _ := user["avatar"].(string); !strings.HasSuffix(av, "/media/avatars/ada.png") {
		t.Errorf("avatar %q, want a media URL", av)
	}
}

func TestProgressCompleteAndReset(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 3)
	unknown := "0123456789abcdef01234567"

	apptest.WantError(t, s.complete(t, u, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.reset(t, u, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.complete(t, u, unknown), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.reset(t, u, unknown), http.StatusNotFound, progMsgRecordNotFound)
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Fatalf("complete/reset created %d records", n)
	}

	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))

	progWantMessage(t, s.complete(t, u, c.ID), progMsgCompleted)
	rec, _ := progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.completed(), c.Lectures) || rec.CompletionPercentage != 100 || !rec.IsCompleted {
		t.Errorf("after complete: %+v", rec)
	}
	if rec.LectureProgress[0].LastWatched == nil {
		t.Errorf("complete cleared lastWatched of a watched lecture")
	}
	if doc := s.stored(t, u.ID, c.ID); fmt.Sprint(doc["completionPercentage"]) != "100" || doc["isCompleted"] != true {
		t.Errorf("stored after complete: %v %v", doc["completionPercentage"], doc["isCompleted"])
	}
	progWantMessage(t, s.complete(t, u, c.ID), progMsgCompleted) // again: still fine

	progWantMessage(t, s.reset(t, u, c.ID), progMsgReset)
	rec, _ = progWantData(t, s.get(t, u, c.ID))
	if len(rec.completed()) != 0 || rec.CompletionPercentage != 0 || rec.IsCompleted {
		t.Errorf("after reset: %+v", rec)
	}
	for _, e := range rec.LectureProgress {
		if e.LastWatched != nil {
			t.Errorf("after reset: lastWatched %v, want null", e.LastWatched)
		}
	}
	if doc := s.stored(t, u.ID, c.ID); fmt.Sprint(doc["completionPercentage"]) != "0" || doc["isCompleted"] != false {
		t.Errorf("stored after reset: %v %v", doc["completionPercentage"], doc["isCompleted"])
	}
}

func TestProgressLectureAddedLater(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 2)
	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	progWantMessage(t, s.complete(t, u, c.ID), progMsgCompleted)

	added := s.addLecture(t, c.ID, 3)
	all := append(slices.Clone(c.Lectures), added)

	// Reading shows the new lecture, not completed, and the percentage over
	// every current lecture; it writes nothing.
	rec, _ := progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.lectures(), all) || !slices.Equal(rec.completed(), c.Lectures) || rec.CompletionPercentage != 67 || rec.IsCompleted {
		t.Errorf("GET after a lecture was added: %+v", rec)
	}

	// Changing another lecture stores the new entry too.
	rec, _ = progWantData(t, s.patch(t, u, c.ID, c.Lectures[1], true))
	if !slices.Equal(rec.lectures(), all) || rec.CompletionPercentage != 67 {
		t.Errorf("PATCH after a lecture was added: %+v", rec)
	}
	if entries := s.stored(t, u.ID, c.ID)["lectureProgress"].(bson.A); len(entries) != 3 {
		t.Errorf("stored %d entries, want 3", len(entries))
	}

	rec, _ = progWantData(t, s.patch(t, u, c.ID, added, true))
	if !slices.Equal(rec.completed(), all) || rec.CompletionPercentage != 100 || !rec.IsCompleted {
		t.Errorf("PATCH of the new lecture: %+v", rec)
	}
}

func TestProgressLectureDeletedAfterCompletion(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 3)
	a, b, cc := c.Lectures[0], c.Lectures[1], c.Lectures[2]
	progWantData(t, s.patch(t, u, c.ID, a, true))
	progWantData(t, s.patch(t, u, c.ID, a, true))
	rec, _ := progWantData(t, s.patch(t, u, c.ID, b, true))
	if rec.CompletionPercentage != 67 {
		t.Fatalf("before deletion: %d %%", rec.CompletionPercentage)
	}

	s.deleteLecture(t, c.ID, a)

	rec, _ = progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.lectures(), []string{b, cc}) || !slices.Equal(rec.completed(), []string{b}) || rec.CompletionPercentage != 50 {
		t.Errorf("GET after the completed lecture was deleted: %+v", rec)
	}
	apptest.WantError(t, s.patch(t, u, c.ID, a, true), http.StatusBadRequest, progMsgNotInCourse)

	rec, _ = progWantData(t, s.patch(t, u, c.ID, cc, true))
	if !slices.Equal(rec.lectures(), []string{b, cc}) || rec.CompletionPercentage != 100 || !rec.IsCompleted {
		t.Errorf("PATCH after deletion: %+v", rec)
	}
	doc := s.stored(t, u.ID, c.ID)
	if fmt.Sprint(doc["completionPercentage"]) != "100" || len(doc["lectureProgress"].(bson.A)) != 2 {
		t.Errorf("stored after deletion: %v", doc)
	}

	// Deleting a completed lecture never pushes the percentage past 100,
	// and a course left without lectures is at 0 %.
	s.deleteLecture(t, c.ID, b)
	rec, _ = progWantData(t, s.get(t, u, c.ID))
	if rec.CompletionPercentage != 100 || !slices.Equal(rec.lectures(), []string{cc}) {
		t.Errorf("one lecture left, completed: %+v", rec)
	}
	// A published course keeps its last lecture: it goes from the draft,
	// which the student still sees as an enrolled student.
	s.Enrol(t, u.ID, c.ID)
	s.SetPublished(t, c.ID, false)
	s.deleteLecture(t, c.ID, cc)
	rec, _ = progWantData(t, s.get(t, u, c.ID))
	if rec.CompletionPercentage != 0 || rec.IsCompleted || len(rec.LectureProgress) != 0 {
		t.Errorf("no lectures left: %+v", rec)
	}
	progWantMessage(t, s.complete(t, u, c.ID), progMsgCompleted)
	if doc := s.stored(t, u.ID, c.ID); fmt.Sprint(doc["completionPercentage"]) != "0" || doc["isCompleted"] != false {
		t.Errorf("stored after completing a course without lectures: %v %v", doc["completionPercentage"], doc["isCompleted"])
	}
}

func TestProgressIsPerUser(t *testing.T) {
	s := progStart(t)
	ada, bob := s.signUp(t, "Ada Lovelace"), s.signUp(t, "Bob Builder")
	c := s.course(t, "Go", 2)
	progWantData(t, s.patch(t, ada, c.ID, c.Lectures[0], true))
	adaRec, _ := progWantData(t, s.patch(t, ada, c.ID, c.Lectures[0], true))

	// Bob sees and changes nothing of Ada's, whatever ids he sends.
	apptest.WantError(t, s.get(t, bob, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.Do(t, http.MethodGet, progBase+c.ID+"?user="+ada.ID+"&userId="+ada.ID, nil, bob.Token), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.complete(t, bob, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	apptest.WantError(t, s.reset(t, bob, c.ID), http.StatusNotFound, progMsgRecordNotFound)
	resp := s.Do(t, http.MethodPatch, progBase+c.ID+"/lectures/"+c.Lectures[1], map[string]any{"isCompleted": true, "user": ada.ID}, bob.Token)
	wantAnyFail(t, resp, http.StatusBadRequest)

	bobRec, data := progWantData(t, s.patch(t, bob, c.ID, c.Lectures[1], true))
	if data["user"] != bob.ID || bobRec.ID == adaRec.ID || len(bobRec.completed()) != 0 {
		t.Errorf("Bob's first PATCH: %s", data)
	}
	progWantData(t, s.Do(t, http.MethodPatch, progBase+c.ID+"/lectures/"+c.Lectures[1]+"?user="+ada.ID, map[string]bool{"isCompleted": true}, bob.Token))
	progWantMessage(t, s.reset(t, bob, c.ID), progMsgReset)
	progWantMessage(t, s.complete(t, bob, c.ID), progMsgCompleted)

	got, data := progWantData(t, s.get(t, ada, c.ID))
	if got.ID != adaRec.ID || !slices.Equal(got.completed(), c.Lectures[:1]) || got.CompletionPercentage != 50 ||
		data["user"].(map[string]any)["_id"] != ada.ID {
		t.Errorf("Ada's record changed: %+v", got)
	}
	got, data = progWantData(t, s.get(t, bob, c.ID))
	if got.ID != bobRec.ID || got.CompletionPercentage != 100 || data["user"].(map[string]any)["_id"] != bob.ID {
		t.Errorf("Bob's record: %+v", got)
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
}

// TestProgressConcurrentLectures has 20 requests complete 20 different
// lectures of one record at once: every one must land.
func TestProgressConcurrentLectures(t *testing.T) {
	const lectures, rounds = 20, 5
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", lectures)
	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true)) // creates

	for round := range rounds {
		results := concurrently(lectures, func(i int) result {
			return sendRaw(http.MethodPatch, s.URL+progBase+c.ID+"/lectures/"+c.Lectures[i], "application/json", u.Token, `{"isCompleted":true}`)
		})
		for i, r := range results {
			if r.err != nil || r.status != http.StatusOK {
				t.Fatalf("round %d, lecture %d: %v %d %s", round, i, r.err, r.status, r.body)
			}
			var body struct{ Data progRecord }
			if err := json.Unmarshal(r.body, &body); err != nil || !slices.Contains(body.Data.completed(), c.Lectures[i]) {
				t.Errorf("round %d: the answer to lecture %d does not show it completed: %s", round, i, r.body)
			}
		}
		rec, _ := progWantData(t, s.get(t, u, c.ID))
		if !slices.Equal(rec.completed(), c.Lectures) || rec.CompletionPercentage != 100 || !rec.IsCompleted {
			t.Fatalf("round %d: %d of %d completed, %d %%", round, len(rec.completed()), lectures, rec.CompletionPercentage)
		}
		doc := s.stored(t, u.ID, c.ID)
		if fmt.Sprint(doc["completionPercentage"]) != "100" || doc["isCompleted"] != true {
			t.Fatalf("round %d: stored %v %%", round, doc["completionPercentage"])
		}
		progWantMessage(t, s.reset(t, u, c.ID), progMsgReset)
	}
}

// TestProgressConcurrentFirstPatches sends ten first PATCHes at once: one
// record, no 5xx, and only the request that created it skips its value.
func TestProgressConcurrentFirstPatches(t *testing.T) {
	const n = 10
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Go", 2)

	results := concurrently(n, func(i int) result {
		return sendRaw(http.MethodPatch, s.URL+progBase+c.ID+"/lectures/"+c.Lectures[0], "application/json", u.Token, `{"isCompleted":true}`)
	})
	notApplied, ids := 0, map[string]bool{}
	for i, r := range results {
		if r.err != nil || r.status != http.StatusOK {
			t.Fatalf("request %d: %v %d %s", i, r.err, r.status, r.body)
		}
		var body struct{ Data progRecord }
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("request %d: %v %s", i, err, r.body)
		}
		ids[body.Data.ID] = true
		if len(body.Data.completed()) == 0 {
			notApplied++
		}
	}
	if len(ids) != 1 {
		t.Errorf("answers name %d records, want 1", len(ids))
	}
	if notApplied != 1 {
		t.Errorf("%d answers without the value applied, want exactly 1 (the creator)", notApplied)
	}
	if got := s.Count(t, "courseprogresses", bson.M{}); got != 1 {
		t.Errorf("%d records, want 1", got)
	}
	rec, _ := progWantData(t, s.get(t, u, c.ID))
	if !slices.Equal(rec.completed(), c.Lectures[:1]) || rec.CompletionPercentage != 50 {
		t.Errorf("after the race: %+v", rec)
	}
}

// A draft course is not found for progress either, unless the caller may see
// it (its instructor, an admin, an enrolled student).
func TestProgressDraftCourseIsNotFound(t *testing.T) {
	s := progStart(t)
	u := s.signUp(t, "Ada Lovelace")
	c := s.course(t, "Secret draft", 1)
	s.SetPublished(t, c.ID, false)
	apptest.WantError(t, s.patch(t, u, c.ID, c.Lectures[0], true), http.StatusNotFound, progMsgCourseNotFound)
	resp := s.get(t, u, c.ID)
	apptest.WantError(t, resp, http.StatusNotFound, progMsgCourseNotFound)
	if strings.Contains(string(resp.Body), "Secret draft") {
		t.Error("the draft's title leaked")
	}
	if n := s.Count(t, "courseprogresses", bson.M{}); n != 0 {
		t.Errorf("%d records for a draft", n)
	}

	// Enrolled in it (bought before it was unpublished): progress works.
	s.Enrol(t, u.ID, c.ID)
	progWantData(t, s.patch(t, u, c.ID, c.Lectures[0], true))
	progWantData(t, s.get(t, u, c.ID))
}
