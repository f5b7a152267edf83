package mongodb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/progress"
)

// The benchmarks below measure the hot lookups of one record among many
// others of the same collection, on the test database (the embedded one
// unless MONGODB_TEST_URI names a server):
//
//	go test ./internal/mongodb -run '^$' -bench Scale -benchtime 20x
//
// Filling 20,000 records takes a few seconds per benchmark.
var scaleSizes = []int{20, 2000, 20000}

// scaleFill inserts n documents made by doc, in batches.
func scaleFill(b *testing.B, coll *mongo.Collection, n int, doc func(i int) any) {
	b.Helper()
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		docs := make([]any, 0, batch)
		for i := lo; i < min(n, lo+batch); i++ {
			docs = append(docs, doc(i))
		}
		if _, err := coll.InsertMany(context.Background(), docs); err != nil {
			b.Fatal(err)
		}
	}
}

// scaleProgress opens a database with n progress records of other users and
// one of the returned user, with 10 lectures.
func scaleProgress(b *testing.B, n int, adjust ...func(*mongodb.Options)) (*mongodb.ProgressRepo, string, string, []string) {
	b.Helper()
	opts := mongotest.Options(b)
	for _, f := range adjust {
		f(&opts)
	}
	db := mongotest.OpenWith(b, opts)
	raw := mongotest.Connect(b, opts)
	courseID, lectures := progCourse(10)
	cid, _ := primitive.ObjectIDFromHex(courseID)
	now := time.Now()
	scaleFill(b, raw.Collection("courseprogresses"), n, func(int) any {
		uid := primitive.NewObjectID()
		return bson.M{
			"_id": scaleProgressID(uid, cid), "user": uid, "course": cid, "lectureProgress": bson.A{},
			"completionPercentage": 0, "isCompleted": false, "lastAccessed": now, "version": 1, "createdAt": now, "updatedAt": now,
		}
	})
	repo := mongodb.NewProgressRepo(db)
	userID := primitive.NewObjectID().Hex()
	if _, _, err := repo.Create(context.Background(), userID, courseID, lectures, now); err != nil {
		b.Fatal(err)
	}
	return repo, userID, courseID, lectures
}

func BenchmarkScaleProgressFind(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			repo, userID, courseID, lectures := scaleProgress(b, n)
			ctx := context.Background()
			for b.Loop() {
				if _, err := repo.Find(ctx, userID, courseID, lectures); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkScaleProgressUpdate(b *testing.B) {
	benchmarkScaleProgressUpdate(b)
}

// BenchmarkScaleProgressUpdateSoleWriter: as the service writes to its
// embedded database (mongodb.Options.SoleWriter).
func BenchmarkScaleProgressUpdateSoleWriter(b *testing.B) {
	benchmarkScaleProgressUpdate(b, func(o *mongodb.Options) { o.SoleWriter = true })
}

func benchmarkScaleProgressUpdate(b *testing.B, adjust ...func(*mongodb.Options)) {
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			repo, userID, courseID, lectures := scaleProgress(b, n, adjust...)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, err := repo.Update(ctx, userID, courseID, lectures, time.Now(), func(r *progress.Record) error {
					return r.SetLecture(lectures[i%len(lectures)], i%2 == 0, time.Now())
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScaleSignInLookup measures the database part of a successful
// sign-in (what user.Service.SignIn asks of the repository, bcrypt left
// out) among n users.
func BenchmarkScaleSignInLookup(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			opts := mongotest.Options(b)
			db := mongotest.OpenWith(b, opts)
			raw := mongotest.Connect(b, opts)
			now := time.Now()
			ids := make([]primitive.ObjectID, n)
			scaleFill(b, raw.Collection("users"), n, func(i int) any {
				ids[i] = primitive.NewObjectID()
				return bson.M{
					"_id": ids[i], "name": "User", "email": fmt.Sprintf("user%d@scale.test", i), "role": "student",
					"password": "$2a$10$hash", "tokenVersion": 0, "enrolledCourses": bson.A{},
					"lastActive": now, "createdAt": now, "updatedAt": now,
				}
			})
			scaleUserKeys(b, raw, ids, func(i int) string { return fmt.Sprintf("user%d@scale.test", i) })
			repo := mongodb.NewUserRepo(db)
			email := fmt.Sprintf("user%d@scale.test", n/2)
			ctx := context.Background()
			for b.Loop() {
				if err := scaleSignIn(ctx, repo, email); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
