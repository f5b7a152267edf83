package mongodb_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/lms-backend/lms/internal/course"
)

// A curriculum write whose renumbering of the lectures' order fields runs
// late — after a later write stored its curriculum and found the order
// fields already right for it — must not leave its own, older order in
// them: the fields follow the stored curriculum.
func TestCourseRepoLateRenumberingLosesToALaterOne(t *testing.T) {
	ctx := context.Background()
	repo, c, now := newRepoCourse(t)
	var ids []string
	for i := range 3 {
		l := &course.Lecture{CourseID: c.ID, Title: "L", Video: "videos/x.mp4", Order: i + 1, CreatedAt: now, UpdatedAt: now}
		if err := repo.AddLecture(ctx, l); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	cur, err := repo.ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}

	// A reverses the order and stops before renumbering; B, made on A's
	// curriculum, restores the original order (the fields need no change
	// for it) and finishes; then A renumbers.
	paused, resume := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	repo.PauseRenumberForTest(func() {
		if first.CompareAndSwap(false, true) {
			close(paused)
			<-resume
		}
	})
	done := make(chan error)
	go func() {
		_, err := repo.SetCurriculum(ctx, c.ID, cur.CurriculumVersion, course.Curriculum{Unsectioned: []string{ids[2], ids[1], ids[0]}}, now)
		done <- err
	}()
	<-paused
	if _, err := repo.SetCurriculum(ctx, c.ID, cur.CurriculumVersion+1, course.Curriculum{Unsectioned: ids}, now); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	after, err := repo.ByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	lectures, err := repo.Lectures(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var byOrder []string
	for _, l := range lectures {
		byOrder = append(byOrder, l.ID)
	}
	if !slices.Equal(after.LectureIDs, ids) || !slices.Equal(byOrder, ids) {
		t.Errorf("curriculum %v, lectures by their order fields %v; want both %v", after.LectureIDs, byOrder, ids)
	}
}
