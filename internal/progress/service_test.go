package progress_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/progress"
)

// fakeRepo keeps records in memory. raceCreate makes the next Create behave
// as if a concurrent request had created the record first.
type fakeRepo struct {
	records    map[string]*progress.Record
	raceCreate bool
	creates    int
	asStored   int // UpdateAsStored calls
}

func (f *fakeRepo) Find(_ context.Context, userID, courseID string, lectures []string) (*progress.Record, error) {
	rec, ok := f.records[userID+"/"+courseID]
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	next := *rec
	next.Refresh(lectures)
	return &next, nil
}

func (f *fakeRepo) Create(_ context.Context, userID, courseID string, lectures []string, now time.Time) (*progress.Record, bool, error) {
	f.creates++
	key := userID + "/" + courseID
	if rec, ok := f.records[key]; ok {
		return rec, false, nil
	}
	rec := progress.NewRecord(userID, courseID, lectures, now)
	f.records[key] = rec
	if f.raceCreate {
		f.raceCreate = false
		return rec, false, nil
	}
	return rec, true, nil
}

func (f *fakeRepo) Update(_ context.Context, userID, courseID string, lectures []string, now time.Time, change func(*progress.Record) error) (*progress.Record, error) {
	rec, ok := f.records[userID+"/"+courseID]
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	next := *rec
	next.Lectures = append([]progress.LectureProgress(nil), rec.Lectures...)
	next.Refresh(lectures)
	if err := change(&next); err != nil {
		return nil, err
	}
	next.Refresh(lectures)
	next.UpdatedAt, next.LastAccessed = now, now
	*rec = next
	return &next, nil
}

func (f *fakeRepo) UpdateAsStored(ctx context.Context, userID, courseID string, now time.Time, change func(*progress.Record) error) (*progress.Record, error) {
	f.asStored++
	rec, ok := f.records[userID+"/"+courseID]
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	return f.Update(ctx, userID, courseID, rec.LectureIDs(), now, change)
}

func (f *fakeRepo) ByUser(_ context.Context, userID string, limit int) ([]*progress.Record, error) {
	var out []*progress.Record
	for _, r := range f.records {
		if r.UserID == userID {
			next := *r
			out = append(out, &next)
		}
	}
	slices.SortFunc(out, func(a, b *progress.Record) int { return b.LastAccessed.Compare(a.LastAccessed) })
	return out[:min(limit, len(out))], nil
}

// errCourseNotFound is the catalog's answer for a course it does not show.
var errCourseNotFound = apperr.New(apperr.NotFound, "course_not_found", "Course not found")

// fakeCatalog shows the courses it has, with their lectures, and hides the
// drafts of others from everyone but the caller "owner".
type fakeCatalog struct {
	lectures map[string][]string // by course
	drafts   map[string]bool
}

func (f fakeCatalog) Visible(_ context.Context, v auth.Identity, courseID string) (*course.Course, error) {
	l, ok := f.lectures[courseID]
	if !ok || (f.drafts[courseID] && v.UserID != "owner") {
		return nil, errCourseNotFound
	}
	return &course.Course{ID: courseID, IsPublished: !f.drafts[courseID], LectureIDs: l, InstructorID: "owner"}, nil
}

// lectureDuration is the duration of every lecture of the fake catalog.
const lectureDuration = 100

func (f fakeCatalog) Lecture(_ context.Context, courseID, lectureID string) (*course.Lecture, error) {
	if !slices.Contains(f.lectures[courseID], lectureID) {
		return nil, course.ErrLectureNotFound
	}
	return &course.Lecture{ID: lectureID, CourseID: courseID, Duration: lectureDuration}, nil
}

func (f fakeCatalog) Listed(_ context.Context, ids []string) ([]course.Listed, error) {
	var out []course.Listed
	for _, id := range ids {
		if l, ok := f.lectures[id]; ok {
			out = append(out, course.Listed{Course: course.Course{ID: id, IsPublished: !f.drafts[id], LectureIDs: l, InstructorID: "owner"}})
		}
	}
	return out, nil
}

// caller is the user of the service tests.
var caller = auth.Identity{UserID: "u", Role: auth.RoleStudent}

func newFake() *fakeRepo {
	return &fakeRepo{records: map[string]*progress.Record{}}
}

var catalog = fakeCatalog{
	lectures: map[string][]string{"c": {"a", "b", "c"}, "empty": {}, "draft": {"a"}},
	drafts:   map[string]bool{"draft": true},
}

func TestProgressSetLectureFirstCallOnlyCreates(t *testing.T) {
	repo := newFake()
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog})
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
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog})
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
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog})
	ctx := context.Background()
	if _, err := s.SetLecture(ctx, caller, "nope", "a", true); !errors.Is(err, errCourseNotFound) {
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
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog, Now: func() time.Time { return fixed }})
	ctx := context.Background()
	if err := s.Complete(ctx, caller, "c"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Complete without a record: %v", err)
	}
	if err := s.Reset(ctx, caller, "c"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Reset without a record: %v", err)
	}
	if _, err := s.SetLecture(ctx, caller, "c", "a", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, caller, "c"); err != nil {
		t.Fatal(err)
	}
	rec := repo.records["u/c"]
	if rec.CompletionPercentage != 100 || !rec.IsCompleted {
		t.Errorf("after Complete: %+v", rec)
	}
	if !rec.UpdatedAt.Equal(fixed.Truncate(time.Millisecond)) {
		t.Errorf("updatedAt %v, want the clock at millisecond precision", rec.UpdatedAt)
	}
	if err := s.Reset(ctx, caller, "c"); err != nil {
		t.Fatal(err)
	}
	if rec := repo.records["u/c"]; rec.CompletionPercentage != 0 || rec.IsCompleted {
		t.Errorf("after Reset: %+v", rec)
	}
}

// Every use case asks the catalog first: a course the caller may not see is
// not found, whether or not they have a record of it.
func TestProgressEveryUseCaseChecksVisibility(t *testing.T) {
	repo := newFake()
	repo.records["u/draft"] = progress.NewRecord("u", "draft", []string{"a"}, time.Now())
	s := progress.NewService(progress.Deps{Repo: repo, Catalog: catalog})
	ctx := context.Background()
	if _, err := s.Get(ctx, caller, "draft"); !errors.Is(err, errCourseNotFound) {
		t.Errorf("Get: %v", err)
	}
	if _, err := s.SetLecture(ctx, caller, "draft", "a", true); !errors.Is(err, errCourseNotFound) {
		t.Errorf("SetLecture: %v", err)
	}
	// Complete and Reset keep the original answer for "no record here".
	if err := s.Complete(ctx, caller, "draft"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Complete: %v", err)
	}
	if err := s.Reset(ctx, caller, "draft"); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Reset: %v", err)
	}
	if rec := repo.records["u/draft"]; rec.CompletionPercentage != 0 {
		t.Errorf("a hidden course's record changed: %+v", rec)
	}
	owner := auth.Identity{UserID: "owner", Role: auth.RoleInstructor}
	repo.records["owner/draft"] = progress.NewRecord("owner", "draft", []string{"a"}, time.Now())
	if err := s.Complete(ctx, owner, "draft"); err != nil {
		t.Errorf("Complete by someone who may see the draft: %v", err)
	}
}
