package mongodb_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/progress"
)

// progOpen opens a fresh database for the repository and a plain driver
// handle on it for arranging and checking documents.
func progOpen(t *testing.T) (*mongodb.DB, *mongo.Database) {
	t.Helper()
	opts := mongotest.Options(t)
	return mongotest.OpenWith(t, opts), mongotest.Connect(t, opts)
}

// progCourse returns a new course id and n lecture ids, in order: the
// repository takes a course's lectures from its caller.
func progCourse(n int) (string, []string) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = primitive.NewObjectID().Hex()
	}
	return primitive.NewObjectID().Hex(), ids
}

func progStored(t *testing.T, raw *mongo.Database, userID, courseID string) bson.M {
	t.Helper()
	uid, _ := primitive.ObjectIDFromHex(userID)
	cid, _ := primitive.ObjectIDFromHex(courseID)
	var doc bson.M
	if err := raw.Collection("courseprogresses").FindOne(context.Background(), bson.M{"user": uid, "course": cid}).Decode(&doc); err != nil {
		t.Fatalf("find progress: %v", err)
	}
	return doc
}

// concurrentLectureWrites creates a record of lectures lectures, completes
// each lecture with its own concurrent Update, through repos[i%len(repos)],
// and checks that no write was lost: all completed, one version per write.
func concurrentLectureWrites(t *testing.T, raw *mongo.Database, repos []*mongodb.ProgressRepo, lectures int) {
	t.Helper()
	ctx := context.Background()
	courseID, ids := progCourse(lectures)
	userID := primitive.NewObjectID().Hex()
	if _, created, err := repos[0].Create(ctx, userID, courseID, ids, time.Now()); err != nil || !created {
		t.Fatalf("Create: %v, created %v", err, created)
	}

	var wg sync.WaitGroup
	errs := make([]error, lectures)
	start := make(chan struct{})
	for i := range lectures {
		wg.Go(func() {
			<-start
			_, errs[i] = repos[i%len(repos)].Update(ctx, userID, courseID, ids, time.Now(), func(r *progress.Record) error {
				return r.SetLecture(ids[i], true, time.Now())
			})
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	doc := progStored(t, raw, userID, courseID)
	entries := doc["lectureProgress"].(bson.A)
	done := 0
	for _, e := range entries {
		if e.(bson.M)["isCompleted"] == true {
			done++
		}
	}
	if done != lectures || fmt.Sprint(doc["completionPercentage"]) != "100" || doc["isCompleted"] != true {
		t.Errorf("%d of %d completed, %v %%", done, lectures, doc["completionPercentage"])
	}
	if v := fmt.Sprint(doc["version"]); v != fmt.Sprint(1+lectures) {
		t.Errorf("version %s, want %d (one per write)", v, 1+lectures)
	}
}

func progRepos(db *mongodb.DB, n int) []*mongodb.ProgressRepo {
	repos := make([]*mongodb.ProgressRepo, n)
	for i := range repos {
		repos[i] = mongodb.NewProgressRepo(db)
	}
	return repos
}

// TestProgressRepoVersionCheckAcrossInstances runs concurrent writes to one
// record through several repositories, which share no in-process lock (as
// several service instances would not): only the version check keeps the
// writes from losing each other.
func TestProgressRepoVersionCheckAcrossInstances(t *testing.T) {
	db, raw := progOpen(t)
	concurrentLectureWrites(t, raw, progRepos(db, 4), 12)
}

// TestProgressRepoSoleWriter: on a handle that is the database's only
// writer (the service's embedded database), the replace is filtered by _id
// alone; the repositories of the handle share its locks, so concurrent
// writes through several of them still lose nothing.
func TestProgressRepoSoleWriter(t *testing.T) {
	opts := mongotest.Options(t)
	opts.SoleWriter = true
	db, raw := mongotest.OpenWith(t, opts), mongotest.Connect(t, opts)
	concurrentLectureWrites(t, raw, progRepos(db, 12), 12)
}

func TestProgressRepoCreateTwice(t *testing.T) {
	db, _ := progOpen(t)
	ctx := context.Background()
	repo := mongodb.NewProgressRepo(db)
	courseID, ids := progCourse(2)
	userID := primitive.NewObjectID().Hex()

	first, created, err := repo.Create(ctx, userID, courseID, ids, time.Now())
	if err != nil || !created {
		t.Fatalf("Create: %v, created %v", err, created)
	}
	again, created, err := repo.Create(ctx, userID, courseID, ids, time.Now())
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second Create: %v, created %v, id %s want %s", err, created, again.ID, first.ID)
	}
	if got := []string{again.Lectures[0].LectureID, again.Lectures[1].LectureID}; !slices.Equal(got, ids) {
		t.Errorf("entries %v, want %v", got, ids)
	}
	if _, err := repo.Update(ctx, primitive.NewObjectID().Hex(), courseID, ids, time.Now(), func(*progress.Record) error { return nil }); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Errorf("Update without a record: %v", err)
	}
}

func TestProgressRepoRemoveLectureAndDeleteByCourse(t *testing.T) {
	db, raw := progOpen(t)
	ctx := context.Background()
	repo := mongodb.NewProgressRepo(db)
	courseID, ids := progCourse(2)
	otherCourse, otherIDs := progCourse(1)
	lectures := map[string][]string{courseID: ids, otherCourse: otherIDs}
	users := []string{primitive.NewObjectID().Hex(), primitive.NewObjectID().Hex()}
	for _, u := range users {
		for _, c := range []string{courseID, otherCourse} {
			if _, _, err := repo.Create(ctx, u, c, lectures[c], time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := repo.Update(ctx, u, courseID, ids, time.Now(), func(r *progress.Record) error {
			return r.SetLecture(ids[0], true, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}

	// The current lectures may still name it: RemoveLecture drops it anyway.
	if err := repo.RemoveLecture(ctx, courseID, ids[0], ids, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		doc := progStored(t, raw, u, courseID)
		entries := doc["lectureProgress"].(bson.A)
		if len(entries) != 1 || entries[0].(bson.M)["lecture"].(primitive.ObjectID).Hex() != ids[1] {
			t.Errorf("entries after RemoveLecture: %v", entries)
		}
		if fmt.Sprint(doc["completionPercentage"]) != "0" {
			t.Errorf("percentage after RemoveLecture: %v", doc["completionPercentage"])
		}
	}

	if err := repo.DeleteByCourse(ctx, courseID); err != nil {
		t.Fatal(err)
	}
	cid, _ := primitive.ObjectIDFromHex(courseID)
	coll := raw.Collection("courseprogresses")
	if n, _ := coll.CountDocuments(ctx, bson.M{"course": cid}); n != 0 {
		t.Errorf("%d records of the deleted course left", n)
	}
	if n, _ := coll.CountDocuments(ctx, bson.M{}); n != 2 {
		t.Errorf("%d records of other courses, want 2", n)
	}
}

// A position report that took its time before the lock (concurrent
// reports, or instances whose clocks differ) is written after a later one:
// it must not move lastAccessed back, or the next report would earn the
// wall time between the two again.
func TestProgressRepoLastAccessedNeverGoesBack(t *testing.T) {
	db, _ := progOpen(t)
	ctx := context.Background()
	repo := mongodb.NewProgressRepo(db)
	courseID, ids := progCourse(1)
	userID := primitive.NewObjectID().Hex()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	if _, _, err := repo.Create(ctx, userID, courseID, ids, t0); err != nil {
		t.Fatal(err)
	}
	report := func(now time.Time, seconds float64) *progress.Record {
		t.Helper()
		rec, err := repo.UpdateAsStored(ctx, userID, courseID, now, func(r *progress.Record) error {
			return r.ReportPosition(ids[0], seconds, 3600, 0, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	report(at(100), 0)
	// Stamped at 40 s, written after the report stamped at 100 s.
	if rec := report(at(40), 0); !rec.LastAccessed.Equal(at(100)) {
		t.Errorf("lastAccessed %v after an older report, want %v", rec.LastAccessed, at(100))
	}
	// A jump to 100 s, 10 s of wall time after the report at 100 s.
	if w := report(at(110), 100).Lectures[0].WatchedSeconds; w != 10 {
		t.Errorf("watched %v s in 10 s of wall time, want 10", w)
	}
}
