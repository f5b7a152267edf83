package mongodb_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// copyFixture is a course service over the real repositories, with a
// course of the instructor.
type copyFixture struct {
	db     *mongodb.DB
	repo   *mongodb.CourseRepo
	svc    *course.Service
	owner  course.Viewer
	course string
}

type noMedia struct{}

func (noMedia) Remove(context.Context, string) {}

func newCopyFixture(t *testing.T) *copyFixture {
	t.Helper()
	db := mongotest.Open(t)
	f := &copyFixture{db: db, repo: mongodb.NewCourseRepo(db), owner: course.Viewer{UserID: mongodb.NewID(), Role: auth.RoleInstructor}}
	f.svc = course.NewService(course.Deps{
		Repo: f.repo, Entitlement: enrolment.NewService(enrolment.Deps{Repo: mongodb.NewEnrolmentRepo(db)}),
		Progress: mongodb.NewProgressRepo(db), Media: noMedia{},
	})
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := &course.Course{Title: "Go", Category: "dev", Level: course.LevelBeginner, InstructorID: f.owner.UserID, CreatedAt: now, UpdatedAt: now}
	if err := f.repo.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	f.course = c.ID
	return f
}

func (f *copyFixture) addLecture(ctx context.Context, title string, order int, section *string) (*course.Lecture, error) {
	video, duration, preview := "videos/"+title+".mp4", float64(10*order), order%2 == 0
	return f.svc.AddLecture(ctx, f.owner, f.course, func() (course.LectureInput, error) {
		return course.LectureInput{Title: &title, Order: &order, Video: &video, Duration: &duration, IsPreview: &preview, SectionID: section}, nil
	})
}

func (f *copyFixture) updateLecture(ctx context.Context, id string, in course.LectureInput) error {
	_, err := f.svc.UpdateLecture(ctx, f.owner, f.course, id, func() (course.LectureInput, error) { return in, nil })
	return err
}

func (f *copyFixture) setCaption(ctx context.Context, lectureID, lang, key string) error {
	_, err := f.svc.SetCaption(ctx, f.owner, f.course, lectureID, func() (course.CaptionInput, error) {
		return course.CaptionInput{Language: &lang, Label: &lang, File: &key}, nil
	})
	return err
}

// recount returns the course's lectures as the lectures collection has
// them, in lecture order: what the page showed before the copy.
func (f *copyFixture) recount(t *testing.T) []course.Lecture {
	t.Helper()
	ctx := context.Background()
	cid, _ := primitive.ObjectIDFromHex(f.course)
	cur, err := f.db.CollectionForTest("lectures").Find(ctx, bson.M{"course": cid})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID primitive.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	out := make([]course.Lecture, len(docs))
	for i, d := range docs {
		l, err := f.repo.Lecture(ctx, f.course, d.ID.Hex())
		if err != nil {
			t.Fatal(err)
		}
		out[i] = *l
	}
	slices.SortFunc(out, func(a, b course.Lecture) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.ID, b.ID) // hex: the ObjectIDs' order
	})
	return out
}

// checkCopy compares the lectures the course page shows (the course
// document's copy) with a recount from the lectures collection.
func (f *copyFixture) checkCopy(t *testing.T, after string) {
	t.Helper()
	got, err := f.repo.Lectures(context.Background(), f.course)
	if err != nil {
		t.Fatal(err)
	}
	want := f.recount(t)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after %s, the course's copy of its lectures differs from the lectures collection:\ncopy:    %s\nrecount: %s", after, describe(got), describe(want))
	}
}

func describe(ls []course.Lecture) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "\n  %s %q order %d preview %t captions %v updated %s", l.ID, l.Title, l.Order, l.IsPreview, l.Captions, l.UpdatedAt.Format(time.RFC3339Nano))
	}
	return b.String()
}

// Every write that changes what a lecture of the course page shows leaves
// the course document's copy of the lectures equal to the lectures
// collection, one path at a time.
func TestCourseLectureCopyFollowsEveryWrite(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	f.checkCopy(t, "creating the course")
	var ids []string
	for i := range 3 {
		l, err := f.addLecture(ctx, fmt.Sprintf("L%d", i), 3-i, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
		f.checkCopy(t, "adding a lecture")
	}
	title, desc, order, preview, video, duration := "Renamed", "Described", 7, true, "videos/new.mp4", 99.5
	steps := []struct {
		name string
		run  func() error
	}{
		{"a title change", func() error { return f.updateLecture(ctx, ids[0], course.LectureInput{Title: &title}) }},
		{"a description change", func() error { return f.updateLecture(ctx, ids[0], course.LectureInput{Description: &desc}) }},
		{"an order change", func() error { return f.updateLecture(ctx, ids[2], course.LectureInput{Order: &order}) }},
		{"a preview change", func() error { return f.updateLecture(ctx, ids[1], course.LectureInput{IsPreview: &preview}) }},
		{"a video change", func() error {
			return f.updateLecture(ctx, ids[1], course.LectureInput{Video: &video, Duration: &duration})
		}},
		{"a caption upload", func() error { return f.setCaption(ctx, ids[0], "en", "captions/en1.vtt") }},
		{"a caption replacement", func() error { return f.setCaption(ctx, ids[0], "en", "captions/en2.vtt") }},
		{"a second language", func() error { return f.setCaption(ctx, ids[0], "de", "captions/de.vtt") }},
		{"a caption removal", func() error { return f.svc.RemoveCaption(ctx, f.owner, f.course, ids[0], "en") }},
		{"a lecture deletion", func() error { return f.svc.DeleteLecture(ctx, f.owner, f.course, ids[1]) }},
		{"a section", func() error { _, _, err := f.svc.AddSection(ctx, f.owner, f.course, "Part 1", nil); return err }},
		{"a lecture added to the section", func() error {
			c, err := f.repo.ByID(ctx, f.course)
			if err != nil {
				return err
			}
			l, err := f.addLecture(ctx, "Sectioned", 1, &c.Sections[0].ID)
			if err == nil {
				ids[1] = l.ID
			}
			return err
		}},
		{"a lecture moved into the section", func() error {
			c, err := f.repo.ByID(ctx, f.course)
			if err != nil {
				return err
			}
			one := 1
			return f.updateLecture(ctx, ids[0], course.LectureInput{SectionID: &c.Sections[0].ID, Order: &one})
		}},
		{"a reorder", func() error {
			c, err := f.repo.ByID(ctx, f.course)
			if err != nil {
				return err
			}
			cu := c.Curriculum()
			slices.Reverse(cu.Sections[0].LectureIDs)
			_, err = f.svc.Reorder(ctx, f.owner, f.course, c.CurriculumVersion, cu)
			return err
		}},
		{"a caption in a sectioned course", func() error { return f.setCaption(ctx, ids[1], "fr", "captions/fr.vtt") }},
		{"a section deleted, its lectures kept", func() error {
			c, err := f.repo.ByID(ctx, f.course)
			if err != nil {
				return err
			}
			return f.svc.DeleteSection(ctx, f.owner, f.course, c.Sections[0].ID, false)
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		f.checkCopy(t, st.name)
	}
}

// Many instructors' requests at once — adding, updating, deleting
// lectures, uploading and removing captions, moving lectures between
// sections — leave the copy equal to the lectures collection.
func TestCourseLectureCopyConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	c, _, err := f.svc.AddSection(ctx, f.owner, f.course, "Part 1", nil)
	if err != nil {
		t.Fatal(err)
	}
	section := c.Sections[0].ID
	var mu sync.Mutex
	var ids []string
	for i := range 4 {
		l, err := f.addLecture(ctx, fmt.Sprintf("Seed%d", i), i+1, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	pick := func(i int) string {
		mu.Lock()
		defer mu.Unlock()
		return ids[i%len(ids)]
	}
	// What concurrent writes may answer: the lecture went meanwhile, the
	// curriculum or captions kept changing under the request.
	expected := func(err error) bool {
		return err == nil || apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Conflict)
	}
	const rounds = 6
	ops := []func(i int) error{
		func(i int) error { // add, in the section every other time
			var in *string
			if i%2 == 1 {
				in = &section
			}
			l, err := f.addLecture(ctx, fmt.Sprintf("Added%d", i), i%3+1, in)
			if err == nil {
				mu.Lock()
				ids = append(ids, l.ID)
				mu.Unlock()
			}
			return err
		},
		func(i int) error {
			title := fmt.Sprintf("Title %d", i)
			return f.updateLecture(ctx, pick(i), course.LectureInput{Title: &title})
		},
		func(i int) error {
			order, preview := 5-i, i%2 == 0
			return f.updateLecture(ctx, pick(i+1), course.LectureInput{Order: &order, IsPreview: &preview})
		},
		func(i int) error { // move into the section or out of it
			to := ""
			if i%2 == 0 {
				to = section
			}
			return f.updateLecture(ctx, pick(i+2), course.LectureInput{SectionID: &to})
		},
		func(i int) error { return f.setCaption(ctx, pick(i+3), "en", fmt.Sprintf("captions/%d.vtt", i)) },
		func(i int) error { return f.svc.RemoveCaption(ctx, f.owner, f.course, pick(i+3), "en") },
		func(i int) error {
			if i%2 == 0 {
				return nil
			}
			return f.svc.DeleteLecture(ctx, f.owner, f.course, pick(i))
		},
	}
	var wg sync.WaitGroup
	var landed atomic.Int32
	for k, op := range ops {
		wg.Go(func() {
			for i := range rounds {
				err := op(i)
				if !expected(err) {
					t.Errorf("op %d round %d: %v", k, i, err)
				}
				if err == nil {
					landed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d of %d writes landed", landed.Load(), len(ops)*rounds)
	f.checkCopy(t, "concurrent writes")
	if got := f.recount(t); len(got) < 4 {
		t.Errorf("%d lectures left; the test wants enough writes to land", len(got))
	}
}

// The course page reads its lectures from the course document alone: a
// change written only into the copy shows, with one database command.
func TestCourseLecturesReadTheCopy(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	for i := range 2 {
		if _, err := f.addLecture(ctx, fmt.Sprintf("L%d", i), i+1, nil); err != nil {
			t.Fatal(err)
		}
	}
	cid, _ := primitive.ObjectIDFromHex(f.course)
	if _, err := f.db.CollectionForTest("courses").UpdateOne(ctx, bson.M{"_id": cid},
		bson.M{"$set": bson.M{"lectureDocs.1.title": "Only in the copy"}}); err != nil {
		t.Fatal(err)
	}
	counted, counts := mongodb.CountCommands(ctx)
	got, err := f.repo.Lectures(counted, f.course)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Title != "Only in the copy" {
		t.Errorf("lectures %s, want the copy's title on the second", describe(got))
	}
	if n := counts.Counts(); !reflect.DeepEqual(n, map[string]int{"find": 1}) {
		t.Errorf("commands %v, want one find", n)
	}

	// A course without lectures has an empty copy: still one read.
	empty := newCopyFixture(t)
	counted, counts = mongodb.CountCommands(ctx)
	if got, err := empty.repo.Lectures(counted, empty.course); err != nil || len(got) != 0 {
		t.Fatalf("lectures of an empty course: %v, %v", got, err)
	}
	if n := counts.Counts(); !reflect.DeepEqual(n, map[string]int{"find": 1}) {
		t.Errorf("an empty course: commands %v, want one find", n)
	}
	if _, err := f.repo.Lectures(ctx, mongodb.NewID()); !errors.Is(err, course.ErrCourseNotFound) {
		t.Errorf("lectures of a missing course: %v, want course not found", err)
	}
}

// A course stored before the copy existed still shows its lectures, and
// its first read gives it the copy, keeping its updatedAt.
func TestCourseLecturesRepairAnOldDocument(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	for i := range 3 {
		if _, err := f.addLecture(ctx, fmt.Sprintf("L%d", i), 3-i, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := f.recount(t)
	courses := f.db.CollectionForTest("courses")
	cid, _ := primitive.ObjectIDFromHex(f.course)
	if _, err := courses.UpdateOne(ctx, bson.M{"_id": cid}, bson.M{"$unset": bson.M{"lectureDocs": ""}}); err != nil {
		t.Fatal(err)
	}
	before, err := f.repo.ByID(ctx, f.course)
	if err != nil {
		t.Fatal(err)
	}

	got, err := f.repo.Lectures(ctx, f.course)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("an old document's lectures:%s\nwant:%s", describe(got), describe(want))
	}
	var doc bson.M
	if err := courses.FindOne(ctx, bson.M{"_id": cid}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if copied, ok := doc["lectureDocs"].(bson.A); !ok || len(copied) != 3 {
		t.Errorf("after its first read, the document's copy is %v, want its 3 lectures", doc["lectureDocs"])
	}
	after, err := f.repo.ByID(ctx, f.course)
	if err != nil {
		t.Fatal(err)
	}
	if !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("the repair moved updatedAt from %s to %s", before.UpdatedAt, after.UpdatedAt)
	}
	counted, counts := mongodb.CountCommands(ctx)
	if got, err := f.repo.Lectures(counted, f.course); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("the next read: %v%s", err, describe(got))
	}
	if n := counts.Counts(); !reflect.DeepEqual(n, map[string]int{"find": 1}) {
		t.Errorf("the next read: commands %v, want one find", n)
	}
}

// A lecture write whose refresh never ran (the refresh failed, or the
// process stopped first) leaves the course's copy behind: the page still
// shows exactly the lectures the course lists — not one whose removal has
// begun, and every one it lists — and such a read repairs the copy.
func TestCourseLecturesAfterAWriteWithoutItsRefresh(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	var ids []string
	for i := range 3 {
		l, err := f.addLecture(ctx, fmt.Sprintf("L%d", i), i+1, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if _, err := f.repo.DeleteLecture(ctx, f.course, ids[1]); err != nil {
		t.Fatal(err)
	}
	f.checkCopy(t, "a lecture removal without its refresh")

	// A document stored before the copy, given a lecture: the push starts
	// a copy of that one lecture.
	cid, _ := primitive.ObjectIDFromHex(f.course)
	if _, err := f.db.CollectionForTest("courses").UpdateOne(ctx, bson.M{"_id": cid}, bson.M{"$unset": bson.M{"lectureDocs": ""}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := f.repo.AddLecture(ctx, &course.Lecture{CourseID: f.course, Title: "New", Video: "videos/new.mp4", Order: 9, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	f.checkCopy(t, "a lecture added to an old document without its refresh")
	counted, counts := mongodb.CountCommands(ctx)
	if _, err := f.repo.Lectures(counted, f.course); err != nil {
		t.Fatal(err)
	}
	if n := counts.Counts(); !reflect.DeepEqual(n, map[string]int{"find": 1}) {
		t.Errorf("the read after the repair: commands %v, want one find", n)
	}
}

// cancellingRepo is the course repository, but the request ends (its
// context is cancelled: the client went away) right after a lecture
// write reaches the database.
type cancellingRepo struct {
	*mongodb.CourseRepo
	cancel context.CancelFunc
}

func (r *cancellingRepo) UpdateLecture(ctx context.Context, courseID, lectureID string, ch course.LectureChanges, now time.Time) (*course.Lecture, *course.Lecture, error) {
	defer r.cancel()
	return r.CourseRepo.UpdateLecture(ctx, courseID, lectureID, ch, now)
}

func (r *cancellingRepo) SetCaption(ctx context.Context, courseID, lectureID string, c course.Caption, now time.Time) ([]string, error) {
	defer r.cancel()
	return r.CourseRepo.SetCaption(ctx, courseID, lectureID, c, now)
}

// A lecture write whose request ends right after it still refreshes the
// course's copy: a preview made gated stops being shown as a preview (with
// its video URL, to anyone, and into the public cache), a caption shows.
func TestCourseLectureCopyOutlivesTheRequest(t *testing.T) {
	ctx := context.Background()
	f := newCopyFixture(t)
	l, err := f.addLecture(ctx, "Preview", 2, nil) // an even order: a preview
	if err != nil {
		t.Fatal(err)
	}
	repo := &cancellingRepo{CourseRepo: f.repo}
	svc := course.NewService(course.Deps{
		Repo: repo, Entitlement: enrolment.NewService(enrolment.Deps{Repo: mongodb.NewEnrolmentRepo(f.db)}),
		Progress: mongodb.NewProgressRepo(f.db), Media: noMedia{},
	})

	var rctx context.Context
	rctx, repo.cancel = context.WithCancel(ctx)
	gated := false
	_, _ = svc.UpdateLecture(rctx, f.owner, f.course, l.ID, func() (course.LectureInput, error) {
		return course.LectureInput{IsPreview: &gated}, nil
	})
	f.checkCopy(t, "a preview made gated by a request that ended")

	rctx, repo.cancel = context.WithCancel(ctx)
	lang, key := "en", "captions/en.vtt"
	_, _ = svc.SetCaption(rctx, f.owner, f.course, l.ID, func() (course.CaptionInput, error) {
		return course.CaptionInput{Language: &lang, Label: &lang, File: &key}, nil
	})
	f.checkCopy(t, "a caption uploaded by a request that ended")
}
