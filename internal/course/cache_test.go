package course_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
)

// countingRepo counts the course reads that reach the repository.
type countingRepo struct {
	*fakeRepo
	reads int
}

func (r *countingRepo) ByID(ctx context.Context, id string) (*course.Course, error) {
	r.reads++
	return r.fakeRepo.ByID(ctx, id)
}

// The cache serves a course's reads for its TTL, drops the course when this
// instance changes it (the next read sees the change at once), and reads
// again once the TTL is over.
func TestCourseCache(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	repo := &countingRepo{fakeRepo: newFakeRepo()}
	svc := course.NewService(course.Deps{
		Repo: repo, Entitlement: enrolment.NewService(enrolment.Deps{Repo: &fakeEnrolments{}}),
		Progress: &fakeProgress{}, Media: &fakeMedia{}, CacheTTL: 5 * time.Second,
		Now: func() time.Time { return now },
	})
	c := repo.put(course.Course{InstructorID: owner.UserID, Title: "T", Category: "C", IsPublished: true})
	repo.putLecture(course.Lecture{CourseID: c.ID, Title: "One", Order: 1})

	for range 3 {
		if _, err := svc.Visible(ctx, anonymous, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if repo.reads != 1 {
		t.Errorf("%d reads for three views within the TTL, want 1", repo.reads)
	}

	if _, err := svc.SetPublished(ctx, owner, c.ID, new(bool)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Visible(ctx, anonymous, c.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a course this instance unpublished is still shown: %v", err)
	}

	reads := repo.reads
	now = now.Add(4 * time.Second)
	if _, err := svc.Visible(ctx, owner, c.ID); err != nil || repo.reads != reads {
		t.Errorf("within the TTL: err %v, %d new reads", err, repo.reads-reads)
	}
	now = now.Add(2 * time.Second)
	if _, err := svc.Visible(ctx, owner, c.ID); err != nil || repo.reads != reads+1 {
		t.Errorf("after the TTL: err %v, %d new reads, want 1", err, repo.reads-reads)
	}
}

// pausingRepo holds the next course read, once armed, after it has read
// the course: read tells that it has, resume lets it return.
type pausingRepo struct {
	*fakeRepo
	armed        atomic.Bool
	read, resume chan struct{}
}

func (r *pausingRepo) ByID(ctx context.Context, id string) (*course.Course, error) {
	c, err := r.fakeRepo.ByID(ctx, id)
	if r.armed.CompareAndSwap(true, false) {
		r.read <- struct{}{}
		<-r.resume
	}
	return c, err
}

// A read that began before a write of this instance and ends after the
// write dropped the course must not put the course as it was into the
// cache: the next read sees the write.
func TestCourseCacheKeepsNoReadOlderThanADrop(t *testing.T) {
	ctx := context.Background()
	repo := &pausingRepo{fakeRepo: newFakeRepo(), read: make(chan struct{}), resume: make(chan struct{})}
	svc := course.NewService(course.Deps{
		Repo: repo, Entitlement: enrolment.NewService(enrolment.Deps{Repo: &fakeEnrolments{}}),
		Progress: &fakeProgress{}, Media: &fakeMedia{}, CacheTTL: 5 * time.Second,
	})
	c := repo.put(course.Course{InstructorID: owner.UserID, Title: "T", Category: "C", IsPublished: true})
	repo.putLecture(course.Lecture{CourseID: c.ID, Title: "One", Order: 1})

	repo.armed.Store(true)
	done := make(chan error)
	go func() {
		_, err := svc.Visible(ctx, anonymous, c.ID)
		done <- err
	}()
	<-repo.read // it has read the published course
	if _, err := svc.SetPublished(ctx, owner, c.ID, new(bool)); err != nil {
		t.Fatal(err)
	}
	close(repo.resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Visible(ctx, anonymous, c.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a course unpublished during a read is still shown: %v", err)
	}
}
