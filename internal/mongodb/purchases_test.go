package mongodb_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/payment"
)

func newPurchase(user, course string, status payment.Status, created time.Time) *payment.Purchase {
	return &payment.Purchase{
		UserID: user, CourseID: course, Amount: 19.99, AmountCents: 1999, Currency: "usd",
		Status: status, CreatedAt: created, UpdatedAt: created,
	}
}

func TestPurchaseRepoOnePendingPerUserAndCourse(t *testing.T) {
	ctx := context.Background()
	repo := mongodb.NewPurchaseRepo(mongotest.Open(t))
	user, course, other := mongodb.NewID(), mongodb.NewID(), mongodb.NewID()
	now := time.Now().UTC().Truncate(time.Millisecond)

	first := newPurchase(user, course, payment.StatusPending, now)
	if err := repo.Create(ctx, first); err != nil || first.ID == "" {
		t.Fatalf("Create: %v (id %q)", err, first.ID)
	}
	if err := repo.Create(ctx, newPurchase(user, course, payment.StatusPending, now)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second pending purchase: %v, want Conflict", err)
	}
	// Other courses, other users and settled purchases are not limited.
	for _, p := range []*payment.Purchase{
		newPurchase(user, other, payment.StatusPending, now),
		newPurchase(other, course, payment.StatusPending, now),
		newPurchase(user, course, payment.StatusCompleted, now),
		newPurchase(user, course, payment.StatusCompleted, now),
	} {
		if err := repo.Create(ctx, p); err != nil {
			t.Fatalf("Create %+v: %v", p, err)
		}
	}
	got, err := repo.Pending(ctx, user, course)
	if err != nil || got.ID != first.ID {
		t.Fatalf("Pending: %+v, %v; want %s", got, err, first.ID)
	}

	// Leaving pending frees the slot.
	moved, ok, err := repo.Move(ctx, first.ID, []payment.Status{payment.StatusPending}, payment.StatusExpired, now)
	if err != nil || !ok || moved.Status != payment.StatusExpired {
		t.Fatalf("Move: %+v, %v, %v", moved, ok, err)
	}
	if _, err := repo.Pending(ctx, user, course); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("Pending after expiry: %v, want NotFound", err)
	}
	if err := repo.Create(ctx, newPurchase(user, course, payment.StatusPending, now)); err != nil {
		t.Fatalf("new pending purchase after expiry: %v", err)
	}
}

func TestPurchaseRepoSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	repo := mongodb.NewPurchaseRepo(mongotest.Open(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := newPurchase(mongodb.NewID(), mongodb.NewID(), payment.StatusPending, now)
	if err := repo.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	sess := payment.Session{ID: "cs_test_1", URL: "https://checkout.example/cs_test_1"}
	if err := repo.AttachSession(ctx, p.ID, sess, now); err != nil {
		t.Fatalf("AttachSession: %v", err)
	}
	if err := repo.AttachSession(ctx, p.ID, payment.Session{ID: "cs_test_2"}, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("second AttachSession: %v, want NotFound", err)
	}
	if err := repo.DeleteUnstarted(ctx, p.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("DeleteUnstarted of a started purchase: %v, want NotFound", err)
	}
	got, err := repo.BySession(ctx, "cs_test_1")
	if err != nil || got.ID != p.ID || got.SessionURL != sess.URL || got.PaymentID != sess.ID {
		t.Fatalf("BySession: %+v, %v", got, err)
	}
	if _, err := repo.BySession(ctx, ""); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("BySession(\"\"): %v, want NotFound", err)
	}

	unstarted := newPurchase(mongodb.NewID(), mongodb.NewID(), payment.StatusPending, now)
	if err := repo.Create(ctx, unstarted); err != nil {
		t.Fatal(err)
	}
	if err := repo.DeleteUnstarted(ctx, unstarted.ID); err != nil {
		t.Fatalf("DeleteUnstarted: %v", err)
	}
	if _, err := repo.ByID(ctx, unstarted.ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("ByID after delete: %v, want NotFound", err)
	}
	if _, err := repo.ByID(ctx, "not-an-id"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("ByID(malformed): %v, want NotFound", err)
	}
}

func TestPurchaseRepoMoveIsConditional(t *testing.T) {
	ctx := context.Background()
	repo := mongodb.NewPurchaseRepo(mongotest.Open(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	p := newPurchase(mongodb.NewID(), mongodb.NewID(), payment.StatusPending, now)
	if err := repo.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Second)
	got, moved, err := repo.Move(ctx, p.ID, payment.Sources(payment.OutcomePaid), payment.StatusCompleted, later)
	if err != nil || !moved || got.Status != payment.StatusCompleted || !got.CompletedAt.Equal(later) {
		t.Fatalf("Move to completed: %+v, %v, %v", got, moved, err)
	}
	got, moved, err = repo.Move(ctx, p.ID, payment.Sources(payment.OutcomeExpired), payment.StatusExpired, later)
	if err != nil || moved || got.Status != payment.StatusCompleted {
		t.Fatalf("Move completed to expired: %+v, %v, %v; want no move", got, moved, err)
	}
	if err := repo.Flag(ctx, p.ID, "amount 1, want 1999", later); err != nil {
		t.Fatal(err)
	}
	got, _ = repo.ByID(ctx, p.ID)
	if !got.Flagged || got.FlagReason != "amount 1, want 1999" {
		t.Errorf("after Flag: %+v", got)
	}
	if _, _, err := repo.Move(ctx, mongodb.NewID(), payment.Sources(payment.OutcomePaid), payment.StatusCompleted, later); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Move of a missing purchase: %v, want NotFound", err)
	}
}

func TestPurchaseRepoReads(t *testing.T) {
	ctx := context.Background()
	repo := mongodb.NewPurchaseRepo(mongotest.Open(t))
	user := mongodb.NewID()
	base := time.Now().UTC().Truncate(time.Millisecond).Add(-3 * time.Hour)
	var courses []string
	for i := range 3 {
		c := mongodb.NewID()
		courses = append(courses, c)
		p := newPurchase(user, c, payment.StatusPending, base)
		if err := repo.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, _, err := repo.Move(ctx, p.ID, []payment.Status{payment.StatusPending}, payment.StatusCompleted, base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	done, err := repo.Completed(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range done {
		order = append(order, p.CourseID)
	}
	if want := []string{courses[2], courses[1], courses[0]}; !slices.Equal(order, want) {
		t.Errorf("Completed order %v, want newest first %v", order, want)
	}
	if ok, err := repo.HasCompleted(ctx, user, courses[1]); err != nil || !ok {
		t.Errorf("HasCompleted: %v, %v", ok, err)
	}
	if ok, err := repo.HasCompleted(ctx, user, mongodb.NewID()); err != nil || ok {
		t.Errorf("HasCompleted of another course: %v, %v", ok, err)
	}

	// PendingBefore pages through old pending purchases by id.
	var old []string
	for i := range 5 {
		p := newPurchase(mongodb.NewID(), mongodb.NewID(), payment.StatusPending, base.Add(time.Duration(i)*time.Second))
		if err := repo.Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		old = append(old, p.ID)
	}
	if err := repo.Create(ctx, newPurchase(mongodb.NewID(), mongodb.NewID(), payment.StatusPending, time.Now())); err != nil {
		t.Fatal(err)
	}
	var seen []string
	after := ""
	for {
		batch, err := repo.PendingBefore(ctx, time.Now().Add(-time.Hour), after, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range batch {
			seen = append(seen, p.ID)
			after = p.ID
		}
		if len(batch) < 2 {
			break
		}
	}
	if !slices.Equal(seen, old) {
		t.Errorf("PendingBefore pages %v, want %v", seen, old)
	}
}

// seedUserAndCourse inserts a user and a course document.
func seedUserAndCourse(t *testing.T, db *mongodb.DB) (user, course primitive.ObjectID) {
	t.Helper()
	ctx := context.Background()
	user, course = primitive.NewObjectID(), primitive.NewObjectID()
	if _, err := db.CollectionForTest("users").InsertOne(ctx, bson.M{"_id": user, "email": user.Hex() + "@example.com", "enrolledCourses": bson.A{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CollectionForTest("courses").InsertOne(ctx, bson.M{"_id": course, "title": "Go", "enrolledCount": 0}); err != nil {
		t.Fatal(err)
	}
	return user, course
}

func enrolledCount(t *testing.T, db *mongodb.DB, course primitive.ObjectID) int {
	t.Helper()
	var doc struct {
		EnrolledCount int `bson:"enrolledCount"`
	}
	if err := db.CollectionForTest("courses").FindOne(context.Background(), bson.M{"_id": course}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.EnrolledCount
}

func enrolmentEntries(t *testing.T, db *mongodb.DB, user primitive.ObjectID) []primitive.ObjectID {
	t.Helper()
	var doc struct {
		Enrolled []struct {
			Course primitive.ObjectID `bson:"course"`
		} `bson:"enrolledCourses"`
	}
	if err := db.CollectionForTest("users").FindOne(context.Background(), bson.M{"_id": user}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []primitive.ObjectID
	for _, e := range doc.Enrolled {
		out = append(out, e.Course)
	}
	return out
}

func TestEnrolmentRepoIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	repo := mongodb.NewEnrolmentRepo(db)
	user, course := seedUserAndCourse(t, db)
	_, other := seedUserAndCourse(t, db)
	now := time.Now().UTC().Truncate(time.Millisecond)

	// Another enrolment of the user must not hide or block this one.
	if added, err := repo.Enrol(ctx, user.Hex(), other.Hex(), now); err != nil || !added {
		t.Fatalf("Enrol other: %v, %v", added, err)
	}
	for i, want := range []bool{true, false, false} {
		added, err := repo.Enrol(ctx, user.Hex(), course.Hex(), now)
		if err != nil || added != want {
			t.Fatalf("Enrol #%d: %v, %v; want %v", i, added, err, want)
		}
	}
	if n := enrolledCount(t, db, course); n != 1 {
		t.Errorf("enrolledCount %d after three enrolments, want 1", n)
	}
	if got := enrolmentEntries(t, db, user); len(got) != 2 {
		t.Errorf("enrolledCourses %v, want two entries", got)
	}
	if ok, err := repo.IsEnrolled(ctx, user.Hex(), course.Hex()); err != nil || !ok {
		t.Errorf("IsEnrolled: %v, %v", ok, err)
	}

	for i, want := range []bool{true, false} {
		removed, err := repo.Unenrol(ctx, user.Hex(), course.Hex(), now)
		if err != nil || removed != want {
			t.Fatalf("Unenrol #%d: %v, %v; want %v", i, removed, err, want)
		}
	}
	if n := enrolledCount(t, db, course); n != 0 {
		t.Errorf("enrolledCount %d after unenrolment, want 0", n)
	}
	if got := enrolmentEntries(t, db, user); !slices.Equal(got, []primitive.ObjectID{other}) {
		t.Errorf("enrolledCourses %v, want only %s", got, other.Hex())
	}
	if ok, _ := repo.IsEnrolled(ctx, user.Hex(), course.Hex()); ok {
		t.Error("IsEnrolled after Unenrol")
	}
	// Unknown users and malformed ids change nothing.
	if added, err := repo.Enrol(ctx, mongodb.NewID(), course.Hex(), now); err != nil || added {
		t.Errorf("Enrol of a missing user: %v, %v", added, err)
	}
	if added, err := repo.Enrol(ctx, "nope", course.Hex(), now); err != nil || added {
		t.Errorf("Enrol of a malformed id: %v, %v", added, err)
	}
	if n := enrolledCount(t, db, course); n != 0 {
		t.Errorf("enrolledCount %d, want 0", n)
	}
}

func TestEnrolmentRepoConcurrentEnrolsCountOnce(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	repo := mongodb.NewEnrolmentRepo(db)
	user, course := seedUserAndCourse(t, db)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		added int
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := repo.Enrol(ctx, user.Hex(), course.Hex(), time.Now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if added != 1 || enrolledCount(t, db, course) != 1 || len(enrolmentEntries(t, db, user)) != 1 {
		t.Errorf("10 concurrent enrolments: %d added, enrolledCount %d, entries %v; want 1, 1, one",
			added, enrolledCount(t, db, course), enrolmentEntries(t, db, user))
	}
}

func TestWebhookEventRepoClaims(t *testing.T) {
	ctx := context.Background()
	repo := mongodb.NewWebhookEventRepo(mongotest.Open(t))
	now := time.Now().UTC().Truncate(time.Millisecond)
	claim := func(token string, at time.Time) payment.Claim {
		t.Helper()
		c, err := repo.Claim(ctx, payment.Event{ID: "evt_1", Type: "charge.succeeded"}, token, at, time.Minute)
		if err != nil {
			t.Fatalf("Claim: %v", err)
		}
		return c
	}
	if c := claim("a", now); c != payment.ClaimAcquired {
		t.Fatalf("first claim: %v", c)
	}
	if c := claim("b", now); c != payment.ClaimBusy {
		t.Fatalf("claim while held: %v, want busy", c)
	}
	// A holder that dies is taken over when its lease runs out.
	if c := claim("c", now.Add(2*time.Minute)); c != payment.ClaimAcquired {
		t.Fatalf("claim after the lease: %v, want acquired", c)
	}
	// A holder that fails releases at once.
	if err := repo.Release(ctx, "evt_1", "c", "boom"); err != nil {
		t.Fatal(err)
	}
	if c := claim("d", now.Add(2*time.Minute)); c != payment.ClaimAcquired {
		t.Fatalf("claim after release: %v, want acquired", c)
	}
	// A stale holder's Release cannot free the new holder's claim.
	if err := repo.Release(ctx, "evt_1", "a", "late"); err != nil {
		t.Fatal(err)
	}
	if c := claim("e", now.Add(2*time.Minute)); c != payment.ClaimBusy {
		t.Fatalf("claim after a stale release: %v, want busy", c)
	}
	if err := repo.Finish(ctx, "evt_1", "d", now); err != nil {
		t.Fatal(err)
	}
	if c := claim("f", now.Add(time.Hour)); c != payment.ClaimDone {
		t.Fatalf("claim after finish: %v, want done", c)
	}
}

// Entries written by the seed system (mongoose) carry an _id of their own;
// Unenrol must still find and remove them.
func TestEnrolmentRepoUnenrolsEntriesWithExtraFields(t *testing.T) {
	ctx := context.Background()
	db := mongotest.Open(t)
	repo := mongodb.NewEnrolmentRepo(db)
	user, course := seedUserAndCourse(t, db)
	_, err := db.CollectionForTest("users").UpdateOne(ctx, bson.M{"_id": user}, bson.M{"$set": bson.M{
		"enrolledCourses": bson.A{bson.D{{Key: "_id", Value: primitive.NewObjectID()}, {Key: "course", Value: course}, {Key: "enrolledAt", Value: time.Now()}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CollectionForTest("courses").UpdateOne(ctx, bson.M{"_id": course}, bson.M{"$set": bson.M{"enrolledCount": 1}}); err != nil {
		t.Fatal(err)
	}
	if removed, err := repo.Unenrol(ctx, user.Hex(), course.Hex(), time.Now()); err != nil || !removed {
		t.Fatalf("Unenrol: %v, %v", removed, err)
	}
	if got := enrolmentEntries(t, db, user); len(got) != 0 || enrolledCount(t, db, course) != 0 {
		t.Errorf("after Unenrol: entries %v, enrolledCount %d", got, enrolledCount(t, db, course))
	}
}
