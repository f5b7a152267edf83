package mongodb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// scaleCourses opens a database with n courses of 5 lectures each, stored
// as the repositories store them (withCopy: with the course document's
// copy of its lectures), and returns the repository and one course.
func scaleCourses(b *testing.B, n int, withCopy bool) (*mongodb.CourseRepo, *mongodb.DB, primitive.ObjectID) {
	b.Helper()
	opts := mongotest.Options(b)
	db := mongotest.OpenWith(b, opts)
	raw := mongotest.Connect(b, opts)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ids := make([]primitive.ObjectID, n)
	lectures := make([]bson.A, n)
	for i := range n {
		ids[i] = primitive.NewObjectID()
		for k := range 5 {
			lectures[i] = append(lectures[i], bson.M{
				"_id": primitive.NewObjectID(), "course": ids[i], "title": fmt.Sprintf("Lecture %d", k+1),
				"description": "What this lecture is about", "video": "videos/0123456789abcdef.mp4", "duration": 300.0,
				"isPreview": k == 0, "order": k + 1, "createdAt": now, "updatedAt": now,
			})
		}
	}
	scaleFill(b, raw.Collection("lectures"), 5*n, func(i int) any { return lectures[i/5][i%5] })
	scaleFill(b, raw.Collection("courses"), n, func(i int) any {
		d := bson.M{
			"_id": ids[i], "title": fmt.Sprintf("Course %d", i), "subtitle": "A subtitle", "description": "A description of the course",
			"category": "dev", "level": "beginner", "price": 10.0, "thumbnail": "images/0123456789abcdef.png",
			"instructor": primitive.NewObjectID(), "lectures": bson.A{}, "lectureRev": 5, "isPublished": true,
			"totalLectures": 5, "totalDuration": 1500.0, "enrolledCount": 0, "createdAt": now, "updatedAt": now,
		}
		for _, l := range lectures[i] {
			d["lectures"] = append(d["lectures"].(bson.A), l.(bson.M)["_id"])
		}
		if withCopy {
			d["lectureDocs"] = lectures[i]
		}
		return d
	})
	return mongodb.NewCourseRepo(db), db, ids[n/2]
}

// The course page's lectures: by the course's _id (its copy) against the
// query on the lectures collection it replaced, and what the copy costs the
// published page's scan of the courses:
//
//	go test ./internal/mongodb -run '^$' -bench CourseLectures -benchtime 20x
func BenchmarkScaleCourseLectures(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{20, 2000} {
		b.Run(fmt.Sprintf("copy/courses=%d", n), func(b *testing.B) {
			repo, _, id := scaleCourses(b, n, true)
			for b.Loop() {
				if ls, err := repo.Lectures(ctx, id.Hex()); err != nil || len(ls) != 5 {
					b.Fatal(len(ls), err)
				}
			}
		})
		b.Run(fmt.Sprintf("query/courses=%d", n), func(b *testing.B) {
			_, db, id := scaleCourses(b, n, true)
			for b.Loop() {
				cur, err := db.CollectionForTest("lectures").Find(ctx, bson.M{"course": id}, options.Find().SetSort(bson.D{{Key: "order", Value: 1}, {Key: "_id", Value: 1}}))
				var docs []bson.M
				if err == nil {
					err = cur.All(ctx, &docs)
				}
				if err != nil || len(docs) != 5 {
					b.Fatal(len(docs), err)
				}
			}
		})
		for _, withCopy := range []bool{false, true} {
			b.Run(fmt.Sprintf("published-scan/copy=%t/courses=%d", withCopy, n), func(b *testing.B) {
				_, db, _ := scaleCourses(b, n, withCopy)
				for b.Loop() {
					cur, err := db.CollectionForTest("courses").Find(ctx, bson.M{"isPublished": true},
						options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(10))
					var docs []bson.M
					if err == nil {
						err = cur.All(ctx, &docs)
					}
					if err != nil || len(docs) != 10 {
						b.Fatal(len(docs), err)
					}
				}
			})
		}
	}
}
