package insights_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
)

// benchEnrolments is the course size the insights are designed for.
const benchEnrolments = 10_000

// BenchmarkCourseInsights10k measures GET /courses/{id}/insights (30 days)
// for a course with 10,000 enrolled students, each with a sale and a
// progress record over 10 lectures, on the embedded database, through the
// router (the request is sent by a plain client, outside the contract
// check). The records are inserted in bulk, straight into the collections.
func BenchmarkCourseInsights10k(b *testing.B) {
	s := apptest.Start(b, map[string]string{"REQUEST_TIMEOUT": "2m"})
	teacher := signUp(b, s, "instructor", 0)
	c, lectures := seedCourse(b, s, teacher.ID, 40, 10)
	courseID, _ := primitive.ObjectIDFromHex(c.ID)
	lectureIDs := make([]primitive.ObjectID, len(lectures))
	for i, id := range lectures {
		lectureIDs[i], _ = primitive.ObjectIDFromHex(id)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC().Truncate(time.Millisecond)
	coupon := primitive.NewObjectID()
	var users, purchases, records []any
	for i := range benchEnrolments {
		uid, pid := primitive.NewObjectID(), primitive.NewObjectID()
		at := now.Add(-time.Duration(rng.IntN(30*24)) * time.Hour)
		users = append(users, bson.M{"_id": uid, "name": fmt.Sprintf("Student %d", i), "email": fmt.Sprintf("s%d@bench.test", i),
			"role": "student", "enrolledCourses": bson.A{bson.M{"course": courseID, "enrolledAt": at}}})
		p := bson.M{"_id": pid, "course": courseID, "user": uid, "amount": 40.0, "amountCents": int64(4000), "currency": "usd",
			"status": "completed", "paymentId": "cs_" + pid.Hex(), "openKey": pid.Hex(), "completedAt": at, "createdAt": at, "updatedAt": at}
		if i%10 == 0 {
			p["amount"], p["amountCents"], p["discountCents"], p["coupon"], p["couponCode"] = 30.0, int64(3000), int64(1000), coupon, "BENCH"
		}
		if i%50 == 0 {
			p["status"], p["refundedCents"] = "refunded", p["amountCents"]
		}
		purchases = append(purchases, p)
		done := rng.IntN(len(lectures) + 1)
		entries := bson.A{}
		for j, l := range lectureIDs {
			entries = append(entries, bson.M{"lecture": l, "isCompleted": j < done, "lastWatched": nil})
		}
		records = append(records, bson.M{"_id": primitive.NewObjectID(), "user": uid, "course": courseID, "lectureProgress": entries,
			"completionPercentage": (200*done + len(lectures)) / (2 * len(lectures)), "isCompleted": done == len(lectures),
			"lastAccessed": at, "version": int64(1), "createdAt": at, "updatedAt": at})
	}
	ctx := context.Background()
	start := time.Now()
	for coll, docs := range map[string][]any{"users": users, "coursepurchases": purchases, "courseprogresses": records} {
		for i := 0; i < len(docs); i += 1000 {
			if _, err := s.Mongo.Collection(coll).InsertMany(ctx, docs[i:min(i+1000, len(docs))]); err != nil {
				b.Fatalf("seed %s: %v", coll, err)
			}
		}
	}
	b.Logf("seeded %d enrolments in %v", benchEnrolments, time.Since(start))

	// Where the time goes: each read of the source once.
	src := mongodb.NewInsightsSource(s.App.DB)
	t0 := time.Now()
	n := 0
	if err := src.Sales(ctx, c.ID, now.Add(-31*24*time.Hour), now.Add(time.Minute), func(ps []payment.Purchase) error { n += len(ps); return nil }); err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	ids, err := src.Enrolled(ctx, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	t2 := time.Now()
	m := 0
	if err := src.Progress(ctx, c.ID, func(*progress.Record) error { m++; return nil }); err != nil {
		b.Fatal(err)
	}
	b.Logf("sales %d in %v, enrolled %d in %v, progress %d in %v", n, t1.Sub(t0), len(ids), t2.Sub(t1), m, time.Since(t2))

	req, err := http.NewRequest(http.MethodGet, s.URL+insightsPath(c.ID, ""), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "token", Value: teacher.Token})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := s.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("insights: %d", resp.StatusCode)
		}
	}
}
