package mongodb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// newRepoCourse opens a fresh database and stores a draft course in it
// through the course repository.
func newRepoCourse(t *testing.T) (*mongodb.CourseRepo, *course.Course, time.Time) {
	t.Helper()
	repo := mongodb.NewCourseRepo(mongotest.Open(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := &course.Course{Title: "Go", Category: "dev", Level: course.LevelBeginner, InstructorID: mongodb.NewID(), CreatedAt: now, UpdatedAt: now}
	if err := repo.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return repo, c, now
}

// Publishing checks for lectures in the same update, so a course whose last
// lecture went meanwhile is never published.
func TestCourseRepoPublishNeedsALecture(t *testing.T) {
	ctx := context.Background()
	repo, c, now := newRepoCourse(t)
	if _, err := repo.SetPublished(ctx, c.ID, true, now); !errors.Is(err, course.ErrNoLectures) {
		t.Fatalf("publishing without lectures: err %v, want course.ErrNoLectures", err)
	}
	if _, err := repo.SetPublished(ctx, mongodb.NewID(), true, now); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("publishing a missing course: err %v, want not found", err)
	}
	if err := repo.AddLecture(ctx, &course.Lecture{CourseID: c.ID, Title: "One", Video: "videos/x.mp4", Order: 1, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.RefreshTotals(ctx, c.ID, now); err != nil {
		t.Fatal(err)
	}
	got, err := repo.SetPublished(ctx, c.ID, true, now)
	if err != nil || !got.IsPublished || got.TotalLectures != 1 {
		t.Fatalf("publishing with a lecture: %+v, %v", got, err)
	}
	if got, err := repo.SetPublished(ctx, c.ID, false, now); err != nil || got.IsPublished {
		t.Fatalf("unpublishing: %+v, %v", got, err)
	}
}
