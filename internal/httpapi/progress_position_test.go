package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// position reports the player's position in a lecture.
func (s *progServer) position(t *testing.T, u progUser, courseID, lectureID string, body any) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPut, progBase+courseID+"/lectures/"+lectureID+"/position", body, u.Token)
}

func TestProgressPositionBoundsAndEntitlement(t *testing.T) {
	s := progStart(t)
	student := s.signUp(t, "Pos Student")
	stranger := s.signUp(t, "Pos Stranger")
	c := s.course(t, "Positions", 2) // lectures of 60 s
	s.Enrol(t, student.ID, c.ID)

	resp := s.position(t, stranger, c.ID, c.Lectures[0], map[string]float64{"seconds": 5})
	apptest.WantError(t, resp, http.StatusForbidden, "You are not enrolled in this course")
	if resp.JSON(t)["code"] != "progress_not_entitled" {
		t.Errorf("code %v", resp.JSON(t)["code"])
	}
	for _, body := range []any{map[string]float64{"seconds": -1}, map[string]float64{"seconds": 60.5}, map[string]any{}, map[string]string{"seconds": "10"}} {
		if resp := s.position(t, student, c.ID, c.Lectures[0], body); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("body %v: %d %s, want 400", body, resp.StatusCode, resp.Body)
		}
	}
	wantValidation(t, s.position(t, student, c.ID, c.Lectures[0], map[string]float64{"seconds": 61}), "seconds")
	apptest.WantError(t, s.position(t, student, c.ID, "0123456789abcdef01234567", map[string]float64{"seconds": 1}),
		http.StatusBadRequest, "Lecture does not belong to this course")
	apptest.WantError(t, s.position(t, student, "0123456789abcdef01234567", c.Lectures[0], map[string]float64{"seconds": 1}),
		http.StatusNotFound, "Course not found")
	apptest.WantError(t, s.get(t, student, c.ID), http.StatusNotFound, "Course progress not found") // nothing stored

	// The first report creates the record and stores the position; the
	// watched time starts at the first report.
	rec, _ := progWantData(t, s.position(t, student, c.ID, c.Lectures[1], map[string]float64{"seconds": 60}))
	if e := rec.LectureProgress[1]; e.Position != 60 || e.WatchedSeconds != 0 || e.LastWatched == nil || e.IsCompleted {
		t.Errorf("after the first report: %+v", e)
	}
	if rec.Resume == nil || *rec.Resume != (progResumeJSON{LectureID: c.Lectures[1], Position: 60}) {
		t.Errorf("resume %+v, want lecture 2 at 60", rec.Resume)
	}
	got, _ := progWantData(t, s.get(t, student, c.ID))
	if got.LectureProgress[1].Position != 60 || got.Resume == nil || got.Resume.LectureID != c.Lectures[1] {
		t.Errorf("GET after a report: %+v", got)
	}
}

// The resume pointer follows the last watched lecture, and moves on to the
// first lecture not completed once that one is completed.
func TestProgressResumeAfterCompletions(t *testing.T) {
	s := progStart(t)
	student := s.signUp(t, "Resume Student")
	c := s.course(t, "Resuming", 3)
	s.Enrol(t, student.ID, c.ID)

	progWantData(t, s.patch(t, student, c.ID, c.Lectures[0], true)) // creates the record only
	rec, _ := progWantData(t, s.get(t, student, c.ID))
	if rec.Resume == nil || *rec.Resume != (progResumeJSON{LectureID: c.Lectures[0]}) {
		t.Errorf("nothing watched: resume %+v, want the first lecture at 0", rec.Resume)
	}
	progWantData(t, s.position(t, student, c.ID, c.Lectures[1], map[string]float64{"seconds": 42}))
	rec, _ = progWantData(t, s.get(t, student, c.ID))
	if rec.Resume == nil || *rec.Resume != (progResumeJSON{LectureID: c.Lectures[1], Position: 42}) {
		t.Errorf("watching lecture 2: resume %+v", rec.Resume)
	}
	progWantData(t, s.patch(t, student, c.ID, c.Lectures[1], true))
	rec, _ = progWantData(t, s.get(t, student, c.ID))
	if rec.Resume == nil || rec.Resume.LectureID != c.Lectures[0] {
		t.Errorf("lecture 2 completed: resume %+v, want lecture 1 (the first not completed)", rec.Resume)
	}
	progWantData(t, s.patch(t, student, c.ID, c.Lectures[0], true))
	rec, _ = progWantData(t, s.get(t, student, c.ID))
	if rec.Resume == nil || rec.Resume.LectureID != c.Lectures[2] {
		t.Errorf("lectures 1 and 2 completed: resume %+v, want lecture 3", rec.Resume)
	}
	progWantMessage(t, s.reset(t, student, c.ID), "Course progress has been reset")
	rec, _ = progWantData(t, s.get(t, student, c.ID))
	if rec.Resume == nil || *rec.Resume != (progResumeJSON{LectureID: c.Lectures[0]}) || rec.LectureProgress[1].Position != 0 {
		t.Errorf("after reset: resume %+v, entries %+v", rec.Resume, rec.LectureProgress)
	}
}

func TestProgressInProgressList(t *testing.T) {
	s := progStart(t)
	student := s.signUp(t, "List Student")
	other := s.signUp(t, "List Other")
	first := s.course(t, "First", 2)
	second := s.course(t, "Second", 1)
	done := s.course(t, "Done", 1)
	for _, c := range []progCourse{first, second, done} {
		s.Enrol(t, student.ID, c.ID)
	}
	list := func(u progUser) []any {
		t.Helper()
		resp := s.Do(t, http.MethodGet, "/api/v1/progress", nil, u.Token)
		wantStatus(t, resp, http.StatusOK)
		m := resp.JSON(t)
		wantKeys(t, "envelope", m, "status", "data")
		return m["data"].([]any)
	}
	if got := list(student); len(got) != 0 {
		t.Fatalf("nothing started: %v", got)
	}
	progWantData(t, s.position(t, student, first.ID, first.Lectures[1], map[string]float64{"seconds": 12}))
	progWantData(t, s.patch(t, student, done.ID, done.Lectures[0], true))
	progWantMessage(t, s.complete(t, student, done.ID), "Course marked as completed")
	progWantData(t, s.patch(t, student, second.ID, second.Lectures[0], false))

	got := list(student)
	if len(got) != 2 {
		t.Fatalf("in progress: %v, want two courses (Done is completed)", got)
	}
	newest, older := got[0].(map[string]any), got[1].(map[string]any)
	wantKeys(t, "entry", newest, "course", "completionPercentage", "lastAccessed", "resume")
	wantKeys(t, "course", newest["course"].(map[string]any), "_id", "title", "subtitle", "thumbnail", "totalLectures")
	if newest["course"].(map[string]any)["_id"] != second.ID || older["course"].(map[string]any)["_id"] != first.ID {
		t.Errorf("order %v, %v; want Second (accessed last), then First", newest["course"], older["course"])
	}
	if r := older["resume"].(map[string]any); r["lectureId"] != first.Lectures[1] || r["position"] != 12.0 {
		t.Errorf("First resumes at %v", r)
	}
	if got := list(other); len(got) != 0 {
		t.Errorf("another user's list: %v", got)
	}
}

// Reports sent at once share one interval of wall time: however many a
// client sends in parallel, the watched time never exceeds the time that
// passed since its first report.
func TestProgressConcurrentReportsDoNotInflate(t *testing.T) {
	s := progStart(t)
	student := s.signUp(t, "Burst Student")
	c := s.course(t, "Burst", 1)
	s.Enrol(t, student.ID, c.ID)
	start := time.Now()
	progWantData(t, s.position(t, student, c.ID, c.Lectures[0], map[string]float64{"seconds": 0}))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			resp := s.position(t, student, c.ID, c.Lectures[0], map[string]float64{"seconds": float64(3 * (i + 1))})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("report %d: %d %s", i, resp.StatusCode, resp.Body)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	rec, _ := progWantData(t, s.get(t, student, c.ID))
	if w := rec.LectureProgress[0].WatchedSeconds; w > elapsed {
		t.Errorf("20 parallel reports earned %.3f s of watching in %.3f s", w, elapsed)
	}
}

// A player's steady reports read no course, even without the catalog
// cache: the session's account read, the lecture, the record and its one
// write.
func TestProgressPositionReadsNoCourse(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "0"})
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	id := s.publishedCourse(t, inst.Token, map[string]string{"price": "0"})["_id"].(string)
	lecture := objects(t, s.getCourse(t, inst.Token, id), "lectures")[0]["_id"].(string)
	s.Enrol(t, student.ID, id)
	const route = "PUT /api/v1/progress/{courseId}/lectures/{lectureId}/position"
	path := "/api/v1/progress/" + id + "/lectures/" + lecture + "/position"
	// The first report reads the course and creates the record.
	wantStatus(t, s.Do(t, http.MethodPut, path, map[string]float64{"seconds": 0}, student.Token), http.StatusOK)
	for i := range 3 {
		before := dbCommands(t, s.Server, route)
		resp := s.Do(t, http.MethodPut, path, map[string]float64{"seconds": float64(i + 1)}, student.Token)
		wantStatus(t, resp, http.StatusOK)
		if n := dbCommands(t, s.Server, route) - before; n != 4 {
			t.Errorf("report %d: %d database commands, want 4", i+2, n)
		}
	}
}
