package mongodb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/review"
)

// reviewFixture is a review repository over a fresh database with courses.
type reviewFixture struct {
	db      *mongodb.DB
	repo    *mongodb.ReviewRepo
	courses *mongodb.CourseRepo
}

func newReviewFixture(t *testing.T) *reviewFixture {
	db := mongotest.Open(t)
	return &reviewFixture{db: db, repo: mongodb.NewReviewRepo(db), courses: mongodb.NewCourseRepo(db)}
}

func (f *reviewFixture) course(t *testing.T) string {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := &course.Course{Title: "Rated", Category: "dev", Level: course.LevelBeginner, InstructorID: mongodb.NewID(), CreatedAt: now, UpdatedAt: now}
	if err := f.courses.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// recount counts the visible reviews of a course straight from the
// collection: what the stored summary must equal.
func (f *reviewFixture) recount(t *testing.T, courseID string) review.Summary {
	t.Helper()
	cur, err := f.db.CollectionForTest("reviews").Find(context.Background(), bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []bson.M
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	var s review.Summary
	for _, d := range docs {
		if fmt.Sprint(d["course"]) == fmt.Sprintf("ObjectID(%q)", courseID) && d["hidden"] == false && d["refunded"] == false {
			s.Add(int(d["rating"].(int32)))
		}
	}
	return s
}

// wantSummary checks the stored summary and the course's card fields
// against a recount.
func (f *reviewFixture) wantSummary(t *testing.T, courseID string) review.Summary {
	t.Helper()
	want := f.recount(t, courseID)
	got, err := f.repo.Summary(context.Background(), courseID)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("course %s: stored summary %v, recount %v", courseID, got.Histogram, want.Histogram)
	}
	c, err := f.courses.ByID(context.Background(), courseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.RatingCount != want.Count() || c.RatingAverage != want.Average() {
		t.Errorf("course %s card: %v from %d, want %v from %d", courseID, c.RatingAverage, c.RatingCount, want.Average(), want.Count())
	}
	return want
}

// Concurrent creates, edits, deletes, hides and refunds on two courses,
// each followed by a recount as the service does: the stored summaries
// equal a recount of the visible reviews afterwards.
func TestReviewSummaryExactUnderConcurrentWrites(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	courses := []string{f.course(t), f.course(t)}
	users := make([]string, 12)
	for i := range users {
		users[i] = mongodb.NewID()
	}
	// Each recount dawdles a little between its read and its write, so
	// that recounts overtake each other often.
	f.repo.PauseRecountForTest(func() { time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond) })
	const workers, ops = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, workers*ops)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for range ops {
				c, u := courses[rng.IntN(len(courses))], users[rng.IntN(len(users))]
				id := review.IDFor(u, c)
				now := time.Now()
				var err error
				switch rng.IntN(5) {
				case 0, 1:
					_, err = f.repo.Put(ctx, &review.Review{ID: id, CourseID: c, UserID: u, Rating: 1 + rng.IntN(5), CreatedAt: now, UpdatedAt: now})
				case 2:
					_, err = f.repo.Delete(ctx, id)
				case 3:
					if err = f.repo.SetHidden(ctx, id, rng.IntN(2) == 0); err == review.ErrNotFound {
						err = nil
					}
				case 4:
					_, err = f.repo.SetRefunded(ctx, id, rng.IntN(2) == 0)
				}
				if err == nil {
					err = f.repo.Recount(ctx, c)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, c := range courses {
		total += f.wantSummary(t, c).Count()
	}
	if total == 0 {
		t.Fatal("no visible review left: the run proved nothing")
	}
}

// A recount that began before another never overwrites it, even when it
// writes last: the summary counts both reviews.
func TestReviewStaleRecountLoses(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	c, first, second := f.course(t), mongodb.NewID(), mongodb.NewID()
	put := func(repo *mongodb.ReviewRepo, u string, rating int) {
		t.Helper()
		now := time.Now()
		if _, err := repo.Put(ctx, &review.Review{ID: review.IDFor(u, c), CourseID: c, UserID: u, Rating: rating, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	slow := mongodb.NewReviewRepo(f.db)
	counted, release := make(chan struct{}), make(chan struct{})
	slow.PauseRecountForTest(func() { close(counted); <-release })
	put(slow, first, 5)
	done := make(chan error)
	go func() { done <- slow.Recount(ctx, c) }()
	<-counted // the slow recount has counted one review
	put(f.repo, second, 1)
	if err := f.repo.Recount(ctx, c); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := f.wantSummary(t, c); got.Count() != 2 {
		t.Errorf("summary counts %d reviews, want 2", got.Count())
	}
}

// Ten concurrent first writes of one user and course make one review: one
// reports created.
func TestReviewPutConcurrentMakesOne(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	c, u := f.course(t), mongodb.NewID()
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now()
			ok, err := f.repo.Put(ctx, &review.Review{ID: review.IDFor(u, c), CourseID: c, UserID: u, Rating: 1 + i%5, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				created++
			}
		}()
	}
	wg.Wait()
	if created != 1 {
		t.Errorf("%d puts created, want 1", created)
	}
	n, err := f.db.CollectionForTest("reviews").CountDocuments(ctx, bson.M{})
	if err != nil || n != 1 {
		t.Errorf("%d reviews stored (%v), want 1", n, err)
	}
}

// A user reports a review once; a missing review is not found.
func TestReviewReportOncePerUser(t *testing.T) {
	f := newReviewFixture(t)
	ctx := context.Background()
	c, author, reporter := f.course(t), mongodb.NewID(), mongodb.NewID()
	id := review.IDFor(author, c)
	now := time.Now()
	if _, err := f.repo.Put(ctx, &review.Review{ID: id, CourseID: c, UserID: author, Rating: 2, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		added, err := f.repo.AddReport(ctx, id, review.Report{UserID: reporter, Reason: "spam", At: now})
		if err != nil || added != want {
			t.Fatalf("report %d: added %v (%v), want %v", i, added, err, want)
		}
	}
	if _, err := f.repo.AddReport(ctx, review.IDFor(reporter, c), review.Report{UserID: author, Reason: "x", At: now}); err != review.ErrNotFound {
		t.Fatalf("report of a missing review: %v", err)
	}
	got, err := f.repo.ByID(ctx, id)
	if err != nil || len(got.Reports) != 1 || got.Reports[0].UserID != reporter {
		t.Fatalf("reports %+v (%v)", got, err)
	}
}
