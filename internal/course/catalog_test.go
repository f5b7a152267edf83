package course_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// listingRepo is the course repository of the embedded database, counting
// the listing queries that reach it: Find (the database answers) and
// Published (a snapshot load). Once armed, the next load holds after it has
// read the courses: read tells that it has, resume lets it return.
type listingRepo struct {
	*mongodb.CourseRepo
	finds, loads atomic.Int64

	armed        atomic.Bool
	read, resume chan struct{}
	// panicking, once set, makes the next load panic.
	panicking atomic.Bool
}

func (r *listingRepo) Find(ctx context.Context, q course.Query) ([]course.Course, int64, error) {
	r.finds.Add(1)
	return r.CourseRepo.Find(ctx, q)
}

func (r *listingRepo) Published(ctx context.Context, limit int) ([]course.Course, error) {
	r.loads.Add(1)
	if r.panicking.CompareAndSwap(true, false) {
		panic("load failed")
	}
	courses, err := r.CourseRepo.Published(ctx, limit)
	if r.armed.CompareAndSwap(true, false) {
		r.read <- struct{}{}
		<-r.resume
	}
	return courses, err
}

// dbCatalog is a course service over the embedded database, with a clock
// the test moves.
type dbCatalog struct {
	svc   *course.Service
	repo  *listingRepo
	db    *mongodb.DB     // the same database, for other repositories' writes
	raw   *mongo.Database // the same database, for writes the service does not make
	clock atomic.Int64    // Unix nanoseconds
	inst  course.Viewer
}

var catalogEpoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newDBCatalog(t *testing.T, ttl time.Duration) *dbCatalog {
	t.Helper()
	opts := mongotest.Options(t)
	db := mongotest.OpenWith(t, opts)
	c := &dbCatalog{
		repo: &listingRepo{CourseRepo: mongodb.NewCourseRepo(db), read: make(chan struct{}), resume: make(chan struct{})},
		db:   db,
		raw:  mongotest.Connect(t, opts),
		inst: course.Viewer{UserID: mongodb.NewID(), Role: auth.RoleInstructor},
	}
	c.clock.Store(catalogEpoch.UnixNano())
	c.svc = course.NewService(course.Deps{
		Repo: c.repo, Entitlement: enrolment.NewService(enrolment.Deps{Repo: mongodb.NewEnrolmentRepo(db)}),
		Progress: mongodb.NewProgressRepo(db), Media: &fakeMedia{}, CacheTTL: ttl,
		Now: func() time.Time { return time.Unix(0, c.clock.Load()).UTC() },
	})
	return c
}

func (c *dbCatalog) advance(d time.Duration) { c.clock.Add(int64(d)) }

// seed stores a course of the instructor, with one lecture, through the
// repository.
func (c *dbCatalog) seed(t *testing.T, co course.Course) course.Course {
	t.Helper()
	ctx := context.Background()
	co.InstructorID, co.Thumbnail = c.inst.UserID, "images/t.png"
	if err := c.repo.Create(ctx, &co); err != nil {
		t.Fatal(err)
	}
	if err := c.repo.AddLecture(ctx, &course.Lecture{CourseID: co.ID, Title: "One", Video: "videos/v.mp4", Order: 1}); err != nil {
		t.Fatal(err)
	}
	return co
}

// setRating stores a course's rating summary as the review package does,
// behind the service's back.
func (c *dbCatalog) setRating(t *testing.T, courseID string, average float64, count int) {
	t.Helper()
	oid, err := primitive.ObjectIDFromHex(courseID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.raw.Collection("courses").UpdateOne(context.Background(), bson.M{"_id": oid},
		bson.M{"$set": bson.M{"rating": bson.M{"average": average, "count": count}}}); err != nil {
		t.Fatal(err)
	}
}

// published is the ids of the first page of 100 published courses.
func (c *dbCatalog) published(t *testing.T) []string {
	t.Helper()
	p, err := c.svc.Published(context.Background(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	return listedIDs(p.Courses)
}

// search is the ids of the first page of 100 courses matching q.
func (c *dbCatalog) search(t *testing.T, q course.Query) []string {
	t.Helper()
	q.Page, q.Limit = 1, 100
	p, err := c.svc.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return listedIDs(p.Courses)
}

// fromDatabase is the ids and total the repository finds for q.
func (c *dbCatalog) fromDatabase(t *testing.T, q course.Query) ([]string, int64) {
	t.Helper()
	courses, total, err := c.repo.CourseRepo.Find(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(courses))
	for i, co := range courses {
		ids[i] = co.ID
	}
	return ids, total
}

func listedIDs(listed []course.Listed) []string {
	ids := make([]string, len(listed))
	for i, l := range listed {
		ids[i] = l.ID
	}
	return ids
}

// The snapshot answers every published listing and search exactly as the
// database does: the same matches (case-insensitive literal substrings,
// Unicode case folding included), the same order with the same
// tie-breakers (many courses share a creation time, price, title or
// rating), the same pages and totals.
func TestCatalogSnapshotAnswersAsTheDatabase(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	rng := rand.New(rand.NewPCG(17, 4))
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	prices := []float64{0, 9.99, 19.99, 50, 100}
	for i := range 48 {
		co := c.seed(t, course.Course{
			Title:       pick("Go Basics", "go basics", "Advanced GO", "Kelvin \u212A scale", "Straße design", "Café au lait", "CAFÉ society", "Python", "python for data", "Data 100%", "a.b*c"),
			Subtitle:    pick("", "learn go fast", "ſtyle", "Data pipelines"),
			Description: pick("", "A course about Go.", "Everything about DATA", "k and K"),
			Category:    pick("Programming", "programming", "Data Science", "Design", "DESIGN"),
			Level:       pick(course.LevelBeginner, course.LevelIntermediate, course.LevelAdvanced),
			Price:       prices[rng.IntN(len(prices))],
			IsPublished: i%4 != 0,
			CreatedAt:   catalogEpoch.Add(time.Duration(rng.IntN(6)) * time.Minute),
		})
		switch rng.IntN(5) {
		case 0: // no summary
		case 1: // a summary of no visible reviews
			c.setRating(t, co.ID, 0, 0)
		default:
			c.setRating(t, co.ID, []float64{3, 4.5, 4.5, 5}[rng.IntN(4)], 1+rng.IntN(3))
		}
	}

	texts := []string{"go", "GO", "data", "é", "É", "k", "\u212A", "s", "ſ", "ss", "ß", "straße", "python", "%", ".", "a.b*", "zzz", " go "}
	sorts := []string{"", course.SortNewest, course.SortOldest, course.SortPriceAsc, course.SortPriceDesc, course.SortTitle, course.SortRating}
	limits := []int{1, 2, 3, 5, 10, 100}
	for i := range 200 {
		q := course.Query{Sort: sorts[rng.IntN(len(sorts))], Page: 1 + rng.IntN(4), Limit: limits[rng.IntN(len(limits))]}
		if rng.IntN(3) == 0 {
			q.Text = pick(texts...)
		}
		if rng.IntN(4) == 0 {
			q.Title = pick(texts...)
		}
		if rng.IntN(4) == 0 {
			q.Category = pick("design", "DATA", "programming", "o", "x")
		}
		if rng.IntN(4) == 0 {
			q.Level = pick(course.LevelBeginner, course.LevelIntermediate, course.LevelAdvanced)
		}
		if rng.IntN(4) == 0 {
			q.MinPrice = &prices[rng.IntN(len(prices))]
		}
		if rng.IntN(4) == 0 {
			q.MaxPrice = &prices[rng.IntN(len(prices))]
		}
		if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
			q.MinPrice, q.MaxPrice = q.MaxPrice, q.MinPrice
		}
		if rng.IntN(4) == 0 {
			q.MinRating = ptr([]float64{0, 1, 3, 4.5, 5}[rng.IntN(5)])
		}

		var got *course.Page
		var err error
		want := q
		want.PublishedOnly = true
		want.Text, want.Title, want.Category = strings.TrimSpace(q.Text), strings.TrimSpace(q.Title), strings.TrimSpace(q.Category)
		if q.Text == "" && q.Title == "" && q.Category == "" && q.Level == "" && q.MinPrice == nil && q.MaxPrice == nil && q.MinRating == nil {
			got, err = c.svc.Published(ctx, q.Page, q.Limit)
			want.Sort = course.SortNewest
		} else {
			got, err = c.svc.Search(ctx, q)
			if want.Sort == "" {
				want.Sort = course.SortNewest
			}
		}
		if err != nil {
			t.Fatalf("query %d %+v: %v", i, q, err)
		}
		ids, total := c.fromDatabase(t, want)
		if !slices.Equal(listedIDs(got.Courses), ids) || got.Total != total || got.Page != q.Page || got.Limit != q.Limit {
			t.Errorf("query %d %+v:\nsnapshot page %d/%d: %v of %d\ndatabase: %v of %d", i, want, got.Page, got.Limit, listedIDs(got.Courses), got.Total, ids, total)
		}
	}
	if n := c.repo.finds.Load(); n != 0 {
		t.Errorf("%d queries went to the database, want none", n)
	}
	if n := c.repo.loads.Load(); n != 1 {
		t.Errorf("%d snapshot loads within the TTL, want 1", n)
	}
}

// This instance's catalog writes show in the published page and search at
// once; a write of another instance (straight to the database) shows once
// the snapshot is as old as the TTL.
func TestCatalogSnapshotFreshness(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	alpha := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", Price: 10, IsPublished: true, CreatedAt: catalogEpoch})
	beta := c.seed(t, course.Course{Title: "Beta", Category: "Tests", Price: 20, CreatedAt: catalogEpoch.Add(time.Minute)})
	delta := c.seed(t, course.Course{Title: "Delta", Category: "Tests", Price: 30, IsPublished: true, CreatedAt: catalogEpoch.Add(2 * time.Minute)})
	want := func(step string, got []string, ids ...string) {
		t.Helper()
		if !slices.Equal(got, ids) {
			t.Errorf("%s: %v, want %v", step, got, ids)
		}
	}
	want("first read", c.published(t), delta.ID, alpha.ID)

	if _, err := c.svc.Update(ctx, c.inst, alpha.ID, form(course.Input{Title: ptr("Alpha two")})); err != nil {
		t.Fatal(err)
	}
	want("renamed", c.search(t, course.Query{Title: "alpha TWO"}), alpha.ID)
	if _, err := c.svc.SetPublished(ctx, c.inst, beta.ID, ptr(true)); err != nil {
		t.Fatal(err)
	}
	want("published", c.published(t), delta.ID, beta.ID, alpha.ID)
	if _, err := c.svc.SetPublished(ctx, c.inst, alpha.ID, ptr(false)); err != nil {
		t.Fatal(err)
	}
	want("unpublished", c.published(t), delta.ID, beta.ID)
	if err := c.svc.Delete(ctx, c.inst, beta.ID); err != nil {
		t.Fatal(err)
	}
	want("deleted", c.published(t), delta.ID)
	want("deleted, search", c.search(t, course.Query{Category: "tests"}), delta.ID)
	c.setRating(t, delta.ID, 4.5, 2) // the review package then forgets the course
	c.svc.Forget(delta.ID)
	want("rated", c.search(t, course.Query{MinRating: ptr(4.0)}), delta.ID)

	loads := c.repo.loads.Load()
	title := "Delta renamed elsewhere"
	if _, _, err := c.repo.Update(ctx, delta.ID, course.Changes{Title: &title}, catalogEpoch); err != nil {
		t.Fatal(err)
	}
	c.advance(5*time.Second - time.Millisecond)
	want("another instance's write within the TTL", c.search(t, course.Query{Title: "elsewhere"}))
	if n := c.repo.loads.Load() - loads; n != 0 {
		t.Errorf("%d loads within the TTL", n)
	}
	c.advance(time.Millisecond)
	want("another instance's write after the TTL", c.search(t, course.Query{Title: "elsewhere"}), delta.ID)
	if n := c.repo.loads.Load() - loads; n != 1 {
		t.Errorf("%d loads once the TTL is over, want 1", n)
	}
	if n := c.repo.finds.Load(); n != 0 {
		t.Errorf("%d queries went to the database, want none", n)
	}
}

// When the TTL is up and the catalog's revision has not moved, the snapshot
// lives on without reading the courses again; a write of another instance
// (here: a review recount through its repository) moves the revision, and
// the next read after the TTL loads. A change that moves no revision (made
// by hand in the database) shows once the snapshot is maxSnapshotAge old.
func TestCatalogSnapshotRenewsWhileTheCatalogIsUnchanged(t *testing.T) {
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})
	rated := func() bool {
		t.Helper()
		p, err := c.svc.Published(context.Background(), 1, 10)
		if err != nil || len(p.Courses) != 1 {
			t.Fatalf("published: %v %v", p, err)
		}
		return p.Courses[0].HasRating
	}
	loads := func(want int64, step string) {
		t.Helper()
		if n := c.repo.loads.Load(); n != want {
			t.Errorf("%s: %d loads, want %d", step, n, want)
		}
	}
	rated()
	loads(1, "first read")
	for range 3 {
		c.advance(5 * time.Second)
		rated()
	}
	loads(1, "three TTLs later, nothing written")

	if err := mongodb.NewReviewRepo(c.db).Recount(context.Background(), co.ID); err != nil {
		t.Fatal(err)
	}
	if rated() {
		t.Error("another instance's write shows within the TTL")
	}
	c.advance(5 * time.Second)
	if !rated() {
		t.Error("another instance's write does not show after the TTL")
	}
	loads(2, "after another instance's write")

	c.setRating(t, co.ID, 3, 1) // by hand: no revision
	c.advance(5 * time.Second)
	if p, _ := c.svc.Published(context.Background(), 1, 10); p.Courses[0].RatingCount != 0 {
		t.Error("a change that moved no revision was seen before the snapshot's maximum age")
	}
	c.advance(time.Minute)
	if p, _ := c.svc.Published(context.Background(), 1, 10); p.Courses[0].RatingCount != 1 {
		t.Error("a change that moved no revision is not seen after the snapshot's maximum age")
	}
}

// With a TTL of 0 there is no snapshot: the database answers every query.
func TestCatalogSnapshotOffWithoutTTL(t *testing.T) {
	c := newDBCatalog(t, 0)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})
	for range 2 {
		if got := c.published(t); !slices.Equal(got, []string{co.ID}) {
			t.Errorf("published: %v", got)
		}
	}
	if finds, loads := c.repo.finds.Load(), c.repo.loads.Load(); finds != 2 || loads != 0 {
		t.Errorf("%d finds and %d loads for two reads, want 2 and 0", finds, loads)
	}
}

// A load that began before a write of this instance and ends after the
// write dropped the snapshot is not kept: the next read sees the write.
func TestCatalogSnapshotKeepsNoLoadOlderThanADrop(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})

	c.repo.armed.Store(true)
	done := make(chan error)
	go func() {
		_, err := c.svc.Published(ctx, 1, 10)
		done <- err
	}()
	<-c.repo.read // it has read the published course
	if _, err := c.svc.SetPublished(ctx, c.inst, co.ID, ptr(false)); err != nil {
		t.Fatal(err)
	}
	close(c.repo.resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := c.published(t); len(got) != 0 {
		t.Errorf("a course unpublished during a load is still listed: %v", got)
	}
}

// Readers that find no snapshot together wait for one load.
func TestCatalogSnapshotOneLoadForConcurrentMisses(t *testing.T) {
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})

	c.repo.armed.Store(true)
	var started, wg sync.WaitGroup
	for range 16 {
		started.Add(1)
		wg.Go(func() {
			started.Done()
			if got := c.published(t); !slices.Equal(got, []string{co.ID}) {
				t.Errorf("published: %v", got)
			}
		})
	}
	<-c.repo.read // the first reader is loading
	started.Wait()
	// Let the others reach the snapshot while the load is held (a reader
	// arriving after it finds the snapshot: the count holds either way).
	time.Sleep(20 * time.Millisecond)
	close(c.repo.resume)
	wg.Wait()
	if n := c.repo.loads.Load(); n != 1 {
		t.Errorf("%d loads for 16 concurrent first reads, want 1", n)
	}
}

// Readers and writers at once: after the last write, the published page
// and search answer as the database does (no snapshot a write predates is
// kept).
func TestCatalogSnapshotUnderConcurrentWrites(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = c.seed(t, course.Course{Title: "Course", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch.Add(time.Duration(i) * time.Second)}).ID
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 12 {
				id := ids[(w*5+i)%len(ids)]
				var err error
				switch i % 3 {
				case 0:
					_, err = c.svc.SetPublished(ctx, c.inst, id, nil)
				case 1:
					_, err = c.svc.Update(ctx, c.inst, id, form(course.Input{Title: ptr([]string{"Course", "Renamed"}[(w+i)%2])}))
				default:
					_, err = c.svc.SetPublished(ctx, c.inst, id, ptr(w%2 == 0))
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 15 {
				if _, err := c.svc.Published(ctx, 1, 100); err != nil {
					t.Error(err)
				}
				if _, err := c.svc.Search(ctx, course.Query{Title: "renamed", Page: 1, Limit: 100}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()

	want, _ := c.fromDatabase(t, course.Query{PublishedOnly: true, Sort: course.SortNewest, Page: 1, Limit: 100})
	if got := c.published(t); !slices.Equal(got, want) {
		t.Errorf("published after the writes: %v, database %v", got, want)
	}
	want, _ = c.fromDatabase(t, course.Query{PublishedOnly: true, Title: "renamed", Sort: course.SortNewest, Page: 1, Limit: 100})
	if got := c.search(t, course.Query{Title: "renamed"}); !slices.Equal(got, want) {
		t.Errorf("search after the writes: %v, database %v", got, want)
	}
}

// Only a write that may have reached the database drops the snapshot:
// one the service refuses first (not the owner, nothing to change) drops
// nothing, so that requests any instructor account can send do not make
// every reader wait for a load of the whole catalog. A caption write, like
// every other lecture write, drops it: its refresh moves the course's
// updatedAt, which the card shows at once.
func TestCatalogSnapshotDropsOnlyForWrites(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch, UpdatedAt: catalogEpoch})
	card := func() course.Listed {
		t.Helper()
		p, err := c.svc.Published(ctx, 1, 10)
		if err != nil || len(p.Courses) != 1 {
			t.Fatalf("published: %v, %v", p, err)
		}
		return p.Courses[0]
	}
	card()
	stranger := course.Viewer{UserID: mongodb.NewID(), Role: auth.RoleInstructor}
	if _, err := c.svc.Update(ctx, stranger, co.ID, form(course.Input{Title: ptr("Mine")})); !errors.Is(err, course.ErrNotOwner) {
		t.Errorf("a stranger's edit: %v", err)
	}
	if _, err := c.svc.SetPublished(ctx, stranger, co.ID, nil); !errors.Is(err, course.ErrNotOwner) {
		t.Errorf("a stranger's unpublish: %v", err)
	}
	if err := c.svc.DeleteLecture(ctx, stranger, co.ID, mongodb.NewID()); !errors.Is(err, course.ErrNotOwner) {
		t.Errorf("a stranger's lecture removal: %v", err)
	}
	if _, err := c.svc.Update(ctx, c.inst, co.ID, form(course.Input{})); !errors.Is(err, course.ErrNothingToUpdate) {
		t.Errorf("an empty edit: %v", err)
	}
	card()
	if n := c.repo.loads.Load(); n != 1 {
		t.Errorf("%d loads after writes refused before the database, want 1", n)
	}

	c.advance(time.Second)
	stored, err := c.repo.ByID(ctx, co.ID)
	if err != nil {
		t.Fatal(err)
	}
	lang, key := "en", "captions/en.vtt"
	if _, err := c.svc.SetCaption(ctx, c.inst, co.ID, stored.LectureIDs[0], func() (course.CaptionInput, error) {
		return course.CaptionInput{Language: &lang, Label: &lang, File: &key}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := card().UpdatedAt, catalogEpoch.Add(time.Second); !got.Equal(want) {
		t.Errorf("after a caption upload the card's updatedAt is %s, want %s", got, want)
	}
}

// A load that panics (net/http recovers a handler's panic) still wakes the
// readers waiting for it and lets the next reader load: the snapshot is
// not left loading for good, with every reader waiting until its deadline.
func TestCatalogSnapshotSurvivesAPanickingLoad(t *testing.T) {
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})
	c.repo.panicking.Store(true)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the load did not panic")
			}
		}()
		_, _ = c.svc.Published(t.Context(), 1, 10)
	}()
	// Only a guard against waiting for good: the read needs no time.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	p, err := c.svc.Published(ctx, 1, 10)
	if err != nil {
		t.Fatalf("the read after a panicking load: %v", err)
	}
	if got := listedIDs(p.Courses); !slices.Equal(got, []string{co.ID}) {
		t.Errorf("published: %v", got)
	}
}

// A text filter that is not valid UTF-8 is a validation error, with or
// without the snapshot: the database's regular expressions reject it (the
// answer was a 500), and the snapshot would match U+FFFD in its place.
func TestCatalogSearchRejectsInvalidUTF8(t *testing.T) {
	for _, ttl := range []time.Duration{0, 5 * time.Second} {
		c := newDBCatalog(t, ttl)
		c.seed(t, course.Course{Title: "A \uFFFD title", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})
		for _, q := range []course.Query{{Text: "\xff"}, {Title: "a \xff"}, {Category: "\xfe"}} {
			q.Page, q.Limit = 1, 10
			p, err := c.svc.Search(t.Context(), q)
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || len(e.Fields) != 1 {
				t.Errorf("TTL %s, %+v: %v, %v; want a validation error", ttl, q, p, err)
			}
		}
	}
}

// A read marked course.Fresh (the public cache's, which keeps its answer
// for a TTL of its own) gets data as of now: the snapshot's revision is
// checked and the course read again even within their TTL, so that the
// answer kept in front is never older than one TTL. Unmarked reads keep
// using them.
func TestCatalogFreshReadsAreCurrent(t *testing.T) {
	ctx := t.Context()
	c := newDBCatalog(t, 5*time.Second)
	co := c.seed(t, course.Course{Title: "Alpha", Category: "Tests", IsPublished: true, CreatedAt: catalogEpoch})
	title := func(ctx context.Context) string {
		t.Helper()
		p, err := c.svc.Published(ctx, 1, 10)
		if err != nil || len(p.Courses) != 1 {
			t.Fatalf("published: %v, %v", p, err)
		}
		return p.Courses[0].Title
	}
	visible := func(ctx context.Context) string {
		t.Helper()
		got, err := c.svc.Visible(ctx, course.Viewer{}, co.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Title
	}
	title(ctx)
	visible(ctx)
	if n := c.repo.loads.Load(); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	renamed := "Alpha renamed elsewhere"
	if _, _, err := c.repo.Update(ctx, co.ID, course.Changes{Title: &renamed}, catalogEpoch); err != nil {
		t.Fatal(err)
	}
	if got := title(ctx); got != "Alpha" {
		t.Errorf("unmarked read within the TTL: %q, want the snapshot's", got)
	}
	if got := visible(ctx); got != "Alpha" {
		t.Errorf("unmarked course read within the TTL: %q, want the cached one", got)
	}
	fresh := course.Fresh(ctx)
	if got := title(fresh); got != renamed {
		t.Errorf("fresh read: %q, want %q", got, renamed)
	}
	if got := visible(fresh); got != renamed {
		t.Errorf("fresh course read: %q, want %q", got, renamed)
	}
	title(fresh) // nothing changed since: the revision says so, no load
	if n := c.repo.loads.Load(); n != 2 {
		t.Errorf("%d loads, want 2 (the first, and the fresh read after the write)", n)
	}
}
