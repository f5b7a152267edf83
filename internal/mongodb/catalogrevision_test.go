package mongodb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/user"
)

// Every write that changes what a published course's card shows moves the
// catalog's revision on, whichever repository makes it: other instances'
// snapshots of the catalog are read again only when it moved.
func TestCatalogRevisionFollowsCardWrites(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	courses, users := mongodb.NewCourseRepo(db), mongodb.NewUserRepo(db)
	enrolments, reviews := mongodb.NewEnrolmentRepo(db), mongodb.NewReviewRepo(db)
	now := time.Now()

	inst := newTestUser("revision-instructor@example.test", "$2a$10$hash")
	student := newTestUser("revision-student@example.test", "$2a$10$hash")
	for _, u := range []*user.User{inst, student} {
		if err := users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	c := &course.Course{Title: "Revised", Category: "Tests", InstructorID: inst.ID, IsPublished: true, CreatedAt: now, UpdatedAt: now}
	var lecture course.Lecture
	title := "Revised again"
	name := "Ann the instructor"
	steps := []struct {
		name  string
		write func() error
	}{
		{"create a published course", func() error { return courses.Create(ctx, c) }},
		// A lecture write is followed by its refresh, which bumps.
		{"add lectures and refresh the totals", func() error {
			lecture = course.Lecture{CourseID: c.ID, Title: "One", Video: "videos/v.mp4", Order: 1}
			second := course.Lecture{CourseID: c.ID, Title: "Two", Video: "videos/v.mp4", Order: 2}
			if err := courses.AddLecture(ctx, &lecture); err != nil {
				return err
			}
			if err := courses.AddLecture(ctx, &second); err != nil {
				return err
			}
			_, err := courses.RefreshTotals(ctx, c.ID, now)
			return err
		}},
		{"update the course", func() error { _, _, err := courses.Update(ctx, c.ID, course.Changes{Title: &title}, now); return err }},
		{"unpublish", func() error { _, err := courses.SetPublished(ctx, c.ID, false, now); return err }},
		{"publish", func() error { _, err := courses.SetPublished(ctx, c.ID, true, now); return err }},
		{"enrol", func() error { _, err := enrolments.Enrol(ctx, student.ID, c.ID, now); return err }},
		{"recount the reviews", func() error { return reviews.Recount(ctx, c.ID) }},
		{"unenrol", func() error { _, err := enrolments.Unenrol(ctx, student.ID, c.ID, now); return err }},
		{"rename the instructor", func() error {
			_, _, err := users.UpdateProfile(ctx, inst.ID, user.ProfileChanges{Name: &name}, now)
			return err
		}},
		{"delete a lecture and refresh the totals", func() error {
			if _, err := courses.DeleteLecture(ctx, c.ID, lecture.ID); err != nil {
				return err
			}
			_, err := courses.RefreshTotals(ctx, c.ID, now)
			return err
		}},
		{"delete the course", func() error { return courses.Delete(ctx, c.ID) }},
		{"delete the instructor", func() error { return users.Delete(ctx, inst.ID) }},
	}
	rev, err := courses.CatalogRevision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		next, err := courses.CatalogRevision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if next <= rev {
			t.Errorf("%s: catalog revision %d, was %d", st.name, next, rev)
		}
		rev = next
	}

	// Reads, and writes that no card shows, leave it.
	draft := &course.Course{Title: "Draft", Category: "Tests", InstructorID: student.ID, CreatedAt: now, UpdatedAt: now}
	if err := courses.Create(ctx, draft); err != nil {
		t.Fatal(err)
	}
	if _, err := courses.ByID(ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	draftTitle := "Draft, renamed"
	if _, _, err := courses.Update(ctx, draft.ID, course.Changes{Title: &draftTitle}, now); err != nil {
		t.Fatal(err)
	}
	if err := courses.AddLecture(ctx, &course.Lecture{CourseID: draft.ID, Title: "One", Video: "videos/v.mp4", Order: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := courses.RefreshTotals(ctx, draft.ID, now); err != nil {
		t.Fatal(err)
	}
	if got, err := courses.CatalogRevision(ctx); err != nil || got != rev {
		t.Errorf("after creating, reading, editing a draft and adding a lecture to it: revision %d (%v), want %d", got, err, rev)
	}
}

// Instructors reads each distinct user by _id, several at once, and skips
// ids that name nobody.
func TestInstructorsByID(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	users := mongodb.NewUserRepo(db)
	var ids []string
	for i := range 12 {
		u := newTestUser(fmt.Sprintf("instructor-%d@example.test", i), "$2a$10$hash")
		u.Name = fmt.Sprintf("Instructor %d", i)
		if err := users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID, u.ID) // each twice
	}
	ids = append(ids, mongodb.NewID(), "not-an-id")
	got, err := mongodb.NewCourseRepo(db).Instructors(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 12 {
		t.Fatalf("%d instructors, want 12: %v", len(got), got)
	}
	for i := range 12 {
		if in := got[ids[2*i]]; in.ID != ids[2*i] || in.Name != fmt.Sprintf("Instructor %d", i) {
			t.Errorf("instructor %d: %+v", i, in)
		}
	}
}
