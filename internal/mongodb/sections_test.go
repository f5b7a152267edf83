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

// A curriculum write that stored the course's new lecture order (a card
// shows the lecture list) moves the catalog's revision on even when a later
// step fails: other instances' snapshots must not keep the old order.
func TestCourseRepoCurriculumWriteMovesTheRevisionHoweverItEnds(t *testing.T) {
	repo, c, now := newRepoCourse(t)
	var ids []string
	for i := range 2 {
		l := &course.Lecture{CourseID: c.ID, Title: "L", Video: "videos/x.mp4", Order: i + 1, CreatedAt: now, UpdatedAt: now}
		if err := repo.AddLecture(t.Context(), l); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if _, err := repo.RefreshTotals(t.Context(), c.ID, now); err != nil {
		t.Fatal(err)
	}
	// A published course: a draft's lecture list is on no card.
	cur, err := repo.SetPublished(t.Context(), c.ID, true, now)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := repo.CatalogRevision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	repo.PauseRenumberForTest(cancel) // the reads after the stored curriculum fail
	reversed := []string{ids[1], ids[0]}
	if _, err := repo.SetCurriculum(ctx, c.ID, cur.CurriculumVersion, course.Curriculum{Unsectioned: reversed}, now); err == nil {
		t.Fatal("the curriculum write did not fail")
	}
	after, err := repo.ByID(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(after.LectureIDs, reversed) {
		t.Fatalf("stored lecture list %v, want %v (the write landed)", after.LectureIDs, reversed)
	}
	if got, err := repo.CatalogRevision(t.Context()); err != nil || got <= rev {
		t.Errorf("catalog revision %d (%v) after a stored curriculum, was %d", got, err, rev)
	}
}
