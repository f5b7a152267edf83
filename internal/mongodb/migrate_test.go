package mongodb_test

import (
	"context"
	"errors"
	"fmt"
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

// legacyProgress is a progress record as older versions stored it: under a
// random ObjectID.
func legacyProgress(userID, courseID, lectureID primitive.ObjectID, version int64) bson.M {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return bson.M{
		"_id": primitive.NewObjectID(), "user": userID, "course": courseID,
		"lectureProgress":      bson.A{bson.M{"lecture": lectureID, "isCompleted": true, "lastWatched": now}},
		"completionPercentage": 100, "isCompleted": true, "lastAccessed": now,
		"version": version, "createdAt": now, "updatedAt": now,
	}
}

// insertLegacyProgress inserts n old-shape records, each of its own user, for
// one course with one lecture, and returns the users.
func insertLegacyProgress(t *testing.T, raw *mongo.Database, n int, courseID, lectureID primitive.ObjectID) []primitive.ObjectID {
	t.Helper()
	users := make([]primitive.ObjectID, n)
	docs := make([]any, n)
	for i := range users {
		users[i] = primitive.NewObjectID()
		docs[i] = legacyProgress(users[i], courseID, lectureID, int64(i+2))
	}
	if _, err := raw.Collection("courseprogresses").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return users
}

// checkMigratedProgress checks that each user's record is under its derived
// _id, with its content and version, and is the only one of the pair.
func checkMigratedProgress(t *testing.T, raw *mongo.Database, total int, users []primitive.ObjectID, courseID, lectureID primitive.ObjectID) {
	t.Helper()
	ctx := context.Background()
	coll := raw.Collection("courseprogresses")
	if n, _ := coll.CountDocuments(ctx, bson.M{}); n != int64(total) {
		t.Errorf("%d records, want %d", n, total)
	}
	for i, u := range users {
		doc := progStored(t, raw, u.Hex(), courseID.Hex())
		if got, want := doc["_id"].(primitive.ObjectID).Hex(), mongodb.ProgressIDForTest(u.Hex(), courseID.Hex()); got != want {
			t.Errorf("record %d under %s, want %s", i, got, want)
		}
		entries := doc["lectureProgress"].(bson.A)
		if len(entries) != 1 || entries[0].(bson.M)["lecture"] != lectureID || entries[0].(bson.M)["isCompleted"] != true {
			t.Errorf("record %d entries %v", i, entries)
		}
		if fmt.Sprint(doc["version"]) != fmt.Sprint(i+2) || fmt.Sprint(doc["completionPercentage"]) != "100" {
			t.Errorf("record %d: version %v, %v %%", i, doc["version"], doc["completionPercentage"])
		}
	}
	if n, _ := raw.Collection("courseprogresses_migration").CountDocuments(ctx, bson.M{}); n != 0 {
		t.Errorf("%d stash copies left", n)
	}
}

// TestMigrateMovesProgressToDerivedIDs: records under old ids are moved to
// their derived _id with their content, a move interrupted after the delete
// is finished from the stash, and a second run changes nothing.
func TestMigrateMovesProgressToDerivedIDs(t *testing.T) {
	opts := mongotest.Options(t)
	db := mongotest.OpenWith(t, opts)
	raw := mongotest.Connect(t, opts)
	ctx := context.Background()
	courseID, lectureID := primitive.NewObjectID(), primitive.NewObjectID()
	users := insertLegacyProgress(t, raw, 5, courseID, lectureID)

	// A move stopped between the delete and the insert: only the stash
	// copy (and an older one) is left.
	crashed := primitive.NewObjectID()
	doc := legacyProgress(crashed, courseID, lectureID, 7)
	older := legacyProgress(crashed, courseID, lectureID, 6)
	older["completionPercentage"] = 0
	stash := raw.Collection("courseprogresses_migration")
	for _, d := range []bson.M{older, doc} {
		if _, err := stash.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("%s:%v", doc["_id"].(primitive.ObjectID).Hex(), d["version"]), "old": doc["_id"], "doc": d}); err != nil {
			t.Fatal(err)
		}
	}
	users = append(users, crashed)

	// Before migrating, a handle that has not migrated still finds them.
	fresh, err := mongodb.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	rec, err := mongodb.NewProgressRepo(fresh).Find(ctx, users[0].Hex(), courseID.Hex(), []string{lectureID.Hex()})
	if err != nil || rec.CompletionPercentage != 100 {
		t.Fatalf("Find before migrating: %v, %+v", err, rec)
	}

	for run := range 2 {
		if err := fresh.Migrate(ctx); err != nil {
			t.Fatalf("Migrate, run %d: %v", run+1, err)
		}
		// The interrupted move is finished with the highest version copied.
		checkMigratedProgress(t, raw, 6, users[:5], courseID, lectureID)
		got := progStored(t, raw, crashed.Hex(), courseID.Hex())
		if got["_id"].(primitive.ObjectID).Hex() != mongodb.ProgressIDForTest(crashed.Hex(), courseID.Hex()) || fmt.Sprint(got["version"]) != "7" {
			t.Errorf("run %d: interrupted move finished as %v", run+1, got)
		}
	}

	// The repository reads and writes them by the derived _id.
	repo := mongodb.NewProgressRepo(db)
	rec, err = repo.Update(ctx, users[1].Hex(), courseID.Hex(), []string{lectureID.Hex()}, time.Now(), func(r *progress.Record) error {
		return r.SetLecture(lectureID.Hex(), false, time.Now())
	})
	if err != nil || rec.ID != mongodb.ProgressIDForTest(users[1].Hex(), courseID.Hex()) || rec.CompletionPercentage != 0 {
		t.Fatalf("Update after migrating: %v, %+v", err, rec)
	}
}

// TestMigrateConcurrently: two instances migrating the same records at the
// same time move each exactly once, losing nothing.
func TestMigrateConcurrently(t *testing.T) {
	opts := mongotest.Options(t)
	mongotest.OpenWith(t, opts)
	raw := mongotest.Connect(t, opts)
	courseID, lectureID := primitive.NewObjectID(), primitive.NewObjectID()
	users := insertLegacyProgress(t, raw, 20, courseID, lectureID)

	const instances = 3
	var wg sync.WaitGroup
	errs := make([]error, instances)
	start := make(chan struct{})
	for i := range instances {
		db, err := mongodb.Connect(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close(context.Background()) })
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(context.Background())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	checkMigratedProgress(t, raw, len(users), users, courseID, lectureID)
}

// TestProgressRecordUnderOldIDAfterMigrating: a record an older instance
// writes after this one migrated (a rolling deploy) is moved when the
// unique (user, course) index finds it on Create.
func TestProgressRecordUnderOldIDAfterMigrating(t *testing.T) {
	db, raw := progOpen(t)
	ctx := context.Background()
	courseID, lectureID := primitive.NewObjectID(), primitive.NewObjectID()
	users := insertLegacyProgress(t, raw, 1, courseID, lectureID)
	repo := mongodb.NewProgressRepo(db)
	lectures := []string{lectureID.Hex()}
	if _, err := repo.Find(ctx, users[0].Hex(), courseID.Hex(), lectures); !errors.Is(err, progress.ErrRecordNotFound) {
		t.Fatalf("Find of a record under an old id after migrating: %v", err)
	}
	rec, created, err := repo.Create(ctx, users[0].Hex(), courseID.Hex(), lectures, time.Now())
	if err != nil || created || rec.CompletionPercentage != 100 || rec.ID != mongodb.ProgressIDForTest(users[0].Hex(), courseID.Hex()) {
		t.Fatalf("Create: %v, created %v, %+v", err, created, rec)
	}
	checkMigratedProgress(t, raw, len(users), users, courseID, lectureID)
}
