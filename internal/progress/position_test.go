package progress_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/progress"
)

// manualClock is a clock the test moves by hand.
type manualClock struct{ t time.Time }

func (c *manualClock) now() time.Time          { return c.t }
func (c *manualClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func (c *manualClock) seconds(s float64) time.Time {
	return c.t.Add(time.Duration(s * float64(time.Second)))
}

// entitledOnly entitles the owner and the users it lists.
type entitledOnly map[string]bool

func (e entitledOnly) Entitled(_ context.Context, v auth.Identity, _, instructorID string) (bool, error) {
	return v.UserID == instructorID || e[v.UserID], nil
}

// Known is false: the service tests take the path that reads the course
// (TestProgressPositionWithoutTheCourse takes the other).
func (e entitledOnly) Known(context.Context, string, string) bool { return false }

func positionService(repo *fakeRepo, clock *manualClock, ratio float64) *progress.Service {
	return progress.NewService(progress.Deps{
		Repo: repo, Catalog: catalog, Entitlement: entitledOnly{"u": true}, AutoComplete: ratio, Now: clock.now,
	})
}

func entry(t *testing.T, rec *progress.Record, lectureID string) progress.LectureProgress {
	t.Helper()
	for _, e := range rec.Lectures {
		if e.LectureID == lectureID {
			return e
		}
	}
	t.Fatalf("no entry for %s in %+v", lectureID, rec.Lectures)
	return progress.LectureProgress{}
}

func TestProgressPositionBounds(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	repo := newFake()
	s := positionService(repo, clock, 0)
	ctx := context.Background()
	for _, bad := range []float64{-1, -0.001, lectureDuration + 0.001, 1e9} {
		if _, err := s.ReportPosition(ctx, caller, "c", "a", bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("seconds %v: %v, want a validation error", bad, err)
		}
	}
	if len(repo.records) != 0 {
		t.Errorf("a refused report created a record")
	}
	for _, ok := range []float64{0, 12.5, lectureDuration} {
		rec, err := s.ReportPosition(ctx, caller, "c", "a", ok)
		if err != nil {
			t.Fatalf("seconds %v: %v", ok, err)
		}
		if got := entry(t, rec, "a").Position; got != ok {
			t.Errorf("position %v, want %v", got, ok)
		}
	}
	if _, err := s.ReportPosition(ctx, caller, "c", "zzz", 1); !errors.Is(err, progress.ErrLectureNotInCourse) {
		t.Errorf("foreign lecture: %v", err)
	}
	stranger := auth.Identity{UserID: "stranger", Role: auth.RoleStudent}
	if _, err := s.ReportPosition(ctx, stranger, "c", "a", 1); !errors.Is(err, progress.ErrNotEntitled) {
		t.Errorf("caller not enrolled: %v", err)
	}
	if _, ok := repo.records["stranger/c"]; ok {
		t.Errorf("a caller not entitled got a record")
	}
	if _, err := s.ReportPosition(ctx, caller, "draft", "a", 1); !errors.Is(err, errCourseNotFound) {
		t.Errorf("hidden draft: %v", err)
	}
}

// A client that reports positions far ahead, or many reports at once,
// earns no more watched time than the wall clock allows.
func TestProgressWatchTimeCannotBeInflated(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	repo := newFake()
	s := positionService(repo, clock, 0)
	ctx := context.Background()
	report := func(lecture string, seconds float64) progress.LectureProgress {
		t.Helper()
		rec, err := s.ReportPosition(ctx, caller, "c", lecture, seconds)
		if err != nil {
			t.Fatalf("report %s at %v: %v", lecture, seconds, err)
		}
		return entry(t, rec, lecture)
	}
	if e := report("a", 0); e.WatchedSeconds != 0 {
		t.Fatalf("first report earned %v s", e.WatchedSeconds)
	}

	clock.advance(10 * time.Second)
	if e := report("a", 10); e.WatchedSeconds != 10 {
		t.Errorf("10 s of playback: watched %v, want 10", e.WatchedSeconds)
	}
	clock.advance(10 * time.Second)
	if e := report("a", 95); e.WatchedSeconds != 20 {
		t.Errorf("a jump of 85 s in 10 s of wall time: watched %v, want 20", e.WatchedSeconds)
	}
	// The same moment, again and again: nothing more.
	for range 5 {
		if e := report("a", 100); e.WatchedSeconds != 20 {
			t.Errorf("reports without wall time between them: watched %v, want 20", e.WatchedSeconds)
		}
	}
	// Paused: the same position reported after a minute adds nothing.
	clock.advance(time.Minute)
	if e := report("a", 100); e.WatchedSeconds != 20 {
		t.Errorf("a paused player: watched %v, want 20", e.WatchedSeconds)
	}
	// Backwards (re-watching) adds nothing; playing on from there does.
	clock.advance(5 * time.Second)
	if e := report("a", 30); e.WatchedSeconds != 20 || e.Position != 30 {
		t.Errorf("a jump back: %+v", e)
	}
	clock.advance(5 * time.Second)
	if e := report("a", 35); e.WatchedSeconds != 25 {
		t.Errorf("5 s after the jump back: watched %v, want 25", e.WatchedSeconds)
	}
	// Two lectures "played" at once share the wall time.
	clock.advance(10 * time.Second)
	report("b", 10) // b starts at 0: 10 s
	if e := report("a", 45); e.WatchedSeconds != 25 {
		t.Errorf("a second lecture in the same 10 s: a watched %v, want 25", e.WatchedSeconds)
	}
	// A clock that goes backwards earns nothing.
	clock.advance(-time.Hour)
	if e := report("a", 55); e.WatchedSeconds != 25 {
		t.Errorf("a report from the past: watched %v, want 25", e.WatchedSeconds)
	}
}

func TestProgressAutoComplete(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	play := func(s *progress.Service, to float64) *progress.Record {
		t.Helper()
		var rec *progress.Record
		var err error
		for at := 0.0; at <= to; at += 10 {
			clock.advance(10 * time.Second)
			if rec, err = s.ReportPosition(ctx, caller, "c", "a", at); err != nil {
				t.Fatal(err)
			}
		}
		return rec
	}

	repo := newFake()
	s := positionService(repo, clock, 0.9)
	if rec := play(s, 80); entry(t, rec, "a").IsCompleted {
		t.Fatalf("completed after 80 of 100 s: %+v", rec)
	}
	rec := play(s, 90) // from 0 again: the first pass already counted 80
	if e := entry(t, rec, "a"); !e.IsCompleted || rec.CompletionPercentage != 33 {
		t.Errorf("after 90 s watched: %+v, percentage %d, want completed and 33", e, rec.CompletionPercentage)
	}
	// Marked not completed by the student: further watching leaves it so.
	if _, err := s.SetLecture(ctx, caller, "c", "a", false); err != nil {
		t.Fatal(err)
	}
	if rec := play(s, 30); entry(t, rec, "a").IsCompleted {
		t.Errorf("auto-completion overrode the student's choice")
	}

	off := newFake()
	if rec := play(positionService(off, clock, 0), 100); entry(t, rec, "a").IsCompleted {
		t.Errorf("AutoComplete 0 completed a lecture")
	}
}

func TestProgressResume(t *testing.T) {
	at := func(min int) *time.Time {
		t := time.Date(2025, 3, 1, 10, min, 0, 0, time.UTC)
		return &t
	}
	tests := []struct {
		name    string
		entries []progress.LectureProgress
		want    *progress.Resume
	}{
		{"no lectures", nil, nil},
		{"never watched: the first", entries("a", "b"), &progress.Resume{LectureID: "a"}},
		{"never watched, first completed", entries("+a", "b"), &progress.Resume{LectureID: "b"}},
		{"last watched, not completed", []progress.LectureProgress{
			{LectureID: "a", LastWatched: at(5), Position: 40},
			{LectureID: "b", LastWatched: at(9), Position: 12},
			{LectureID: "c"},
		}, &progress.Resume{LectureID: "b", Position: 12}},
		{"last watched is completed: first not completed", []progress.LectureProgress{
			{LectureID: "a", LastWatched: at(5), Position: 40},
			{LectureID: "b", LastWatched: at(9), Position: 60, IsCompleted: true},
			{LectureID: "c"},
		}, &progress.Resume{LectureID: "a", Position: 40}},
		{"all completed: last watched", []progress.LectureProgress{
			{LectureID: "a", LastWatched: at(9), Position: 7, IsCompleted: true},
			{LectureID: "b", LastWatched: at(5), IsCompleted: true},
		}, &progress.Resume{LectureID: "a", Position: 7}},
		{"all completed, none watched: the first", entries("+a", "+b"), &progress.Resume{LectureID: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := (&progress.Record{Lectures: tt.entries}).Resume()
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("Resume = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProgressResetClearsPositions(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	repo := newFake()
	s := positionService(repo, clock, 0)
	ctx := context.Background()
	for _, sec := range []float64{0, 10} {
		clock.advance(10 * time.Second)
		if _, err := s.ReportPosition(ctx, caller, "c", "b", sec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Reset(ctx, caller, "c"); err != nil {
		t.Fatal(err)
	}
	if e := entry(t, repo.records["u/c"], "b"); e != (progress.LectureProgress{LectureID: "b"}) {
		t.Errorf("after reset: %+v", e)
	}
}

func TestProgressInProgress(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	repo := newFake()
	// Nobody but the owner is entitled: u keeps only what is published.
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog, Entitlement: entitledOnly{}, Now: clock.now})
	ctx := context.Background()
	owner := auth.Identity{UserID: "owner", Role: auth.RoleInstructor}
	repo.records["u/draft"] = progress.NewRecord("u", "draft", []string{"a"}, clock.seconds(-60)) // may not see it
	repo.records["u/empty"] = progress.NewRecord("u", "empty", nil, clock.seconds(-30))
	repo.records["owner/c"] = progress.NewRecord("owner", "c", []string{"a"}, clock.t) // someone else's
	done := progress.NewRecord("u", "c", []string{"a", "b", "c"}, clock.t)
	done.Complete()
	done.Refresh([]string{"a", "b", "c"})
	repo.records["u/c"] = done

	list, err := s.InProgress(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].CourseID != "empty" || list[0].Resume != nil {
		t.Errorf("in progress %+v, want only the course without lectures (the draft is hidden, c completed)", list)
	}

	clock.advance(time.Minute)
	if _, err := s.SetLecture(ctx, caller, "c", "b", false); err != nil {
		t.Fatal(err)
	}
	list, err = s.InProgress(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].CourseID != "c" || list[1].CourseID != "empty" || list[0].Resume.LectureID != "b" {
		t.Errorf("in progress %+v, want c (resume at b), then empty", list)
	}
	if list, _ := s.InProgress(ctx, owner); len(list) != 1 || list[0].CourseID != "c" {
		t.Errorf("owner's list %+v", list)
	}
}

// knownEnrolled knows every caller to be enrolled, and counts the course
// reads of the catalog it wraps.
type knownEnrolled struct {
	entitledOnly
	fakeCatalog
	visible *int
}

func (k knownEnrolled) Known(context.Context, string, string) bool { return true }

func (k knownEnrolled) Visible(ctx context.Context, v auth.Identity, courseID string) (*course.Course, error) {
	*k.visible++
	return k.fakeCatalog.Visible(ctx, v, courseID)
}

// With the enrolment known to the request, a report reads no course unless
// it must: the first report (creating the record), a lecture added since
// the record was written, and a report that completes the lecture.
func TestProgressPositionWithoutTheCourse(t *testing.T) {
	clock := &manualClock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	repo := newFake()
	cat := fakeCatalog{lectures: map[string][]string{"c": {"a", "b"}}}
	reads := 0
	k := knownEnrolled{entitledOnly: entitledOnly{"u": true}, fakeCatalog: cat, visible: &reads}
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: k, Entitlement: k, AutoComplete: 0.5, Now: clock.now})
	ctx := context.Background()
	report := func(lecture string, seconds float64, wantReads int) *progress.Record {
		t.Helper()
		clock.advance(10 * time.Second)
		rec, err := s.ReportPosition(ctx, caller, "c", lecture, seconds)
		if err != nil {
			t.Fatalf("report %s at %v: %v", lecture, seconds, err)
		}
		if reads != wantReads {
			t.Errorf("report %s at %v: %d course reads in all, want %d", lecture, seconds, reads, wantReads)
		}
		return rec
	}
	report("a", 0, 1)  // creates the record
	report("a", 10, 1) // as stored
	report("a", 20, 1)
	cat.lectures["c"] = append(cat.lectures["c"], "new")
	if rec := report("new", 5, 2); len(rec.Lectures) != 3 || rec.CompletionPercentage != 0 {
		t.Errorf("a lecture added since: %+v", rec)
	}
	rec := report("a", 60, 2) // watched 10 + 10 + 10 (capped by the wall time)
	if e := entry(t, rec, "a"); e.IsCompleted || e.WatchedSeconds != 30 {
		t.Errorf("entry a %+v, want 30 s watched, not completed", e)
	}
	report("a", 70, 2) // 40 s
	// 50 % of 100 s: the completing report reads the course and counts
	// all three lectures.
	rec = report("a", 80, 3)
	if e := entry(t, rec, "a"); !e.IsCompleted || e.WatchedSeconds != 50 || rec.CompletionPercentage != 33 {
		t.Errorf("completing report: entry %+v, percentage %d; want completed at 50 s, 33", e, rec.CompletionPercentage)
	}
	if _, err := s.ReportPosition(ctx, caller, "c", "foreign", 1); !errors.Is(err, progress.ErrLectureNotInCourse) {
		t.Errorf("a lecture of another course: %v", err)
	}
	if _, err := s.ReportPosition(ctx, caller, "c", "b", lectureDuration+1); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("beyond the duration: %v", err)
	}
	if repo.asStored == 0 {
		t.Errorf("no report took the path without the course")
	}
}
