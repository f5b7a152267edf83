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

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/user"
)

func newTestUser(email, hash string) *user.User {
	now := time.Now()
	return &user.User{Name: "Ann", Email: email, Role: auth.RoleStudent, PasswordHash: hash, LastActive: now, CreatedAt: now, UpdatedAt: now}
}

// emailKey reads the key document of an email, or nil.
func emailKey(t *testing.T, raw *mongo.Database, email string) bson.M {
	t.Helper()
	var k bson.M
	err := raw.Collection("useremails").FindOne(context.Background(), bson.M{"_id": email}).Decode(&k)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func checkEmailKey(t *testing.T, raw *mongo.Database, email, userID, hash string) {
	t.Helper()
	k := emailKey(t, raw, email)
	if k == nil || k["user"].(primitive.ObjectID).Hex() != userID || k["password"] != hash {
		t.Errorf("key of %s: %v, want user %s hash %s", email, k, userID, hash)
	}
}

// TestUserEmailKeys: the key follows the user through sign-up, a password
// change, a reset, an admin promotion and deletion.
func TestUserEmailKeys(t *testing.T) {
	db, raw := progOpen(t)
	ctx := context.Background()
	repo := mongodb.NewUserRepo(db)
	u := newTestUser("ann@example.com", "h1")
	if err := repo.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	checkEmailKey(t, raw, u.Email, u.ID, "h1")
	if err := repo.Create(ctx, newTestUser("ann@example.com", "h2")); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("second sign-up: %v, want email taken", err)
	}
	checkEmailKey(t, raw, u.Email, u.ID, "h1")
	if k, err := repo.EmailKey(ctx, u.Email); err != nil || k.UserID != u.ID || k.PasswordHash != "h1" {
		t.Errorf("EmailKey: %v, %+v", err, k)
	}
	if _, err := repo.EmailKey(ctx, "bob@example.com"); !errors.Is(err, user.ErrUserNotFound) {
		t.Errorf("EmailKey of an unknown email: %v", err)
	}

	if _, err := repo.SetPassword(ctx, u.ID, "h2", time.Now()); err != nil {
		t.Fatal(err)
	}
	checkEmailKey(t, raw, u.Email, u.ID, "h2")
	if err := repo.SetResetToken(ctx, u.ID, "token", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.ConsumeResetToken(ctx, "token", "h3", time.Now()); err != nil {
		t.Fatal(err)
	}
	checkEmailKey(t, raw, u.Email, u.ID, "h3")
	if a, err := repo.SetRole(ctx, u.Email, auth.RoleAdmin, time.Now()); err != nil || a.Role != auth.RoleAdmin || a.ID != u.ID {
		t.Errorf("SetRole: %v, %+v", err, a)
	}
	if got, err := repo.ByEmail(ctx, u.Email); err != nil || got.ID != u.ID {
		t.Errorf("ByEmail: %v, %+v", err, got)
	}
	if got, err := repo.TouchLastActive(ctx, u.ID, time.Now()); err != nil || got.Email != u.Email || got.PasswordHash != "h3" {
		t.Errorf("TouchLastActive: %v, %+v", err, got)
	}

	if err := repo.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if k := emailKey(t, raw, u.Email); k != nil {
		t.Errorf("key left after deletion: %v", k)
	}
	if _, err := repo.SetRole(ctx, u.Email, auth.RoleAdmin, time.Now()); !errors.Is(err, user.ErrUserNotFound) {
		t.Errorf("SetRole after deletion: %v", err)
	}
	again := newTestUser("ann@example.com", "h4")
	if err := repo.Create(ctx, again); err != nil {
		t.Fatalf("sign-up again after deletion: %v", err)
	}
	checkEmailKey(t, raw, u.Email, again.ID, "h4")
}

// TestUserSignUpsConcurrently: of concurrent sign-ups with one email
// exactly one succeeds, and the key names it.
func TestUserSignUpsConcurrently(t *testing.T) {
	db, raw := progOpen(t)
	const n = 8
	repos := make([]*mongodb.UserRepo, n)
	for i := range repos {
		repos[i] = mongodb.NewUserRepo(db)
	}
	users := make([]*user.User, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		users[i] = newTestUser("race@example.com", fmt.Sprint("h", i))
		wg.Go(func() {
			<-start
			errs[i] = repos[i].Create(context.Background(), users[i])
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("sign-ups %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !apperr.Is(err, apperr.Invalid):
			t.Errorf("sign-up %d: %v", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no sign-up succeeded")
	}
	checkEmailKey(t, raw, "race@example.com", users[won].ID, users[won].PasswordHash)
}

// TestMigrateWritesEmailKeys: users stored without keys (or with a stale
// one) get theirs at start-up; a second run changes nothing; until then a
// handle that has not migrated finds them by email.
func TestMigrateWritesEmailKeys(t *testing.T) {
	opts := mongotest.Options(t)
	mongotest.OpenWith(t, opts)
	raw := mongotest.Connect(t, opts)
	ctx := context.Background()
	now := time.Now()
	ids := make([]primitive.ObjectID, 3)
	for i := range ids {
		ids[i] = primitive.NewObjectID()
		if _, err := raw.Collection("users").InsertOne(ctx, bson.M{
			"_id": ids[i], "name": "Old", "email": fmt.Sprintf("old%d@example.com", i), "role": "student",
			"password": fmt.Sprint("hash", i), "tokenVersion": 0, "enrolledCourses": bson.A{},
			"lastActive": now, "createdAt": now, "updatedAt": now,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Collection("useremails").InsertOne(ctx, bson.M{"_id": "old0@example.com", "user": ids[0], "password": "stale"}); err != nil {
		t.Fatal(err)
	}

	fresh, err := mongodb.Connect(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	repo := mongodb.NewUserRepo(fresh)
	if k, err := repo.EmailKey(ctx, "old1@example.com"); err != nil || k.UserID != ids[1].Hex() {
		t.Fatalf("EmailKey before migrating: %v, %+v", err, k)
	}
	for run := range 2 {
		if err := fresh.Migrate(ctx); err != nil {
			t.Fatalf("Migrate, run %d: %v", run+1, err)
		}
		for i, id := range ids {
			checkEmailKey(t, raw, fmt.Sprintf("old%d@example.com", i), id.Hex(), fmt.Sprint("hash", i))
		}
		if n, _ := raw.Collection("useremails").CountDocuments(ctx, bson.M{}); n != 3 {
			t.Errorf("run %d: %d keys, want 3", run+1, n)
		}
	}
	if _, err := repo.EmailKey(ctx, "nobody@example.com"); !errors.Is(err, user.ErrUserNotFound) {
		t.Errorf("EmailKey of an unknown email after migrating: %v", err)
	}
}
