package progress_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/progress"
)

// fakeRepo keeps records in memory. raceCreate makes the next Create behave
// as if a concurrent request had created the record first.
type fakeRepo struct {
	lectures   map[string][]string // by course
	records    map[string]*progress.Record
	raceCreate bool
	creates    int
}

func (f *fakeRepo) CourseLectures(_ context.Context, courseID string) ([]string, error) {
	l, ok := f.lectures[courseID]
	if !ok {
		return nil, progress.ErrCourseNotFound
	}
	return l, nil
}

func (f *fakeRepo) Find(context.Context, string, string) (*progress.Detail, error) {
	panic("not used")
}

func (f *fakeRepo) Create(ctx context.Context, userID, courseID string, now time.Time) (*progress.Record, bool, error) {
	f.creates++
	l, err := f.CourseLectures(ctx, courseID)
	if err != nil {
		return nil, false, err
	}
	key := userID + "/" + courseID
	if rec, ok := f.records[key]; ok {
		return rec, false, nil
	}
	rec := progress.NewRecord(userID, courseID, l, now)
	f.records[key] = rec
	if f.raceCreate {
		f.raceCreate = false
		return rec, false, nil
	}
	return rec, true, nil
}

func (f *fakeRepo) Update(ctx context.Context, userID, courseID string, now time.Time, change func(*progress.Record) error) (*progress.Record, error) {
	rec, ok := f.records[userID+"/"+courseID]
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	l, err := f.CourseLectures(ctx, courseID)
	if err != nil {
		return nil, err
	}
	next := *rec
	next.Lectures = append([]progress.LectureProgress(nil), rec.Lectures...)
	next.Refresh(l)
	if err := change(&next); err != nil {
		return nil, err
	}
	next.Refresh(l)
	next.UpdatedAt, next.LastAccessed = now, now
	*rec = next
	return &next, nil
}

// openCatalog lets everyone see every course.
type openCatalog struct{}

func (openCatalog) Visible(_ context.Context, _ auth.Identity, courseID string) (*course.Course, error) {
	return &course.Course{ID: courseID, IsPublished: true}, nil
}

// caller is the user of the service tests.
var caller = auth.Identity{UserID: "u", Role: auth.RoleStudent}

func newFake() *fakeRepo {
	return &fakeRepo{lectures: map[string][]string{"c": {"a", "b", "c"}, "empty": {}}, records: map[string]*progress.Record{}}
}

func TestProgressSetLectureFirstCallOnlyCreates(t *testing.T) {
	repo := newFake()
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: openCatalog{}})
	ctx := context.Background()

	rec, err := s.SetLecture(ctx, caller, "c", "a", true)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Lectures[0].IsCompleted || rec.CompletionPercentage != 0 {
		t.Errorf("first call applied the value: %+v", rec)
	}
	rec, err = s.SetLecture(ctx, caller, "c", "a", true)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Lectures[0].IsCompleted || rec.CompletionPercentage != 33 {
		t.Errorf("second call: %+v", rec)
	}
	if repo.creates != 1 {
		t.Errorf("Create called %d times, want 1", repo.creates)
	}
}

func TestProgressSetLectureLosingTheCreateRaceApplies(t *testing.T) {
	repo := newFake()
	repo.raceCreate = true
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: openCatalog{}})
	rec, err := s.SetLecture(context.Background(), caller, "c", "b", true)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Lectures[1].IsCompleted || rec.CompletionPercentage != 33 {
		t.Errorf("a request that found the record created by another must apply its value: %+v", rec)
	}
}

func TestProgressSetLectureErrors(t *testing.T) {
	repo := newFake()
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: openCatalog{}})
	ctx := context.Background()
	if _, err := s.SetLecture(ctx, caller, "nope", "a", true); !errors.Is(err, progress.ErrCourseNotFound) {
		t.Errorf("unknown course: %v", err)
	}
	if _, err := s.SetLecture(ctx, caller, "c", "zzz", true); !errors.Is(err, progress.ErrLectureNotInCourse) {
		t.Errorf("foreign lecture: %v", err)
	}
	if _, err := s.SetLecture(ctx, caller, "empty", "a", true); !errors.Is(err, progress.ErrLectureNotInCourse) {
		t.Errorf("course without lectures: %v", err)
	}
	if len(repo.records) != 0 {
		t.Errorf("a rejected request created %d records", len(repo.records))
	}
}

func TestProgressCompleteResetNeedARecord(t *testing.T) {
	repo := newFake()
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 678901234, time.UTC)
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: openCatalog{}, Now: func() time.Time { return fixed }})
	ctx := context.Background()
	if err := s.Complete(ctx, "u", "c"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Complete without a record: %v", err)
	}
	if err := s.Reset(ctx, "u", "c"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Reset without a record: %v", err)
	}
	if _, err := s.SetLecture(ctx, caller, "c", "a", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, "u", "c"); err != nil {
		t.Fatal(err)
	}
	rec := repo.records["u/c"]
	if rec.CompletionPercentage != 100 || !rec.IsCompleted {
		t.Errorf("after Complete: %+v", rec)
	}
	if !rec.UpdatedAt.Equal(fixed.Truncate(time.Millisecond)) {
		t.Errorf("updatedAt %v, want the clock at millisecond precision", rec.UpdatedAt)
	}
	if err := s.Reset(ctx, "u", "c"); err != nil {
		t.Fatal(err)
	}
	if rec := repo.records["u/c"]; rec.CompletionPercentage != 0 || rec.IsCompleted {
		t.Errorf("after Reset: %+v", rec)
	}
}
