package mongodb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// connect connects to a fresh database exactly as the service does
// (mongodb.Connect with the options the service would use) and drops it when
// the test ends.
func connect(t *testing.T) *mongodb.DB {
	t.Helper()
	db, err := mongodb.Connect(mongotest.Options(t))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		if err := db.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// TestConcurrentIncrementsAreNotLost is the reason for the single pooled
// connection to the embedded database: FerretDB v1 runs updates as
// unisolated read-modify-writes, so concurrent connections lose increments.
func TestConcurrentIncrementsAreNotLost(t *testing.T) {
	const goroutines, increments = 20, 10
	db := connect(t)
	coll := db.CollectionForTest("counters")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: 0}}); err != nil {
		t.Fatalf("insert: %v", err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*increments)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "c"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
				if err == nil && res.ModifiedCount != 1 {
					t.Errorf("update modified %d documents, want 1", res.ModifiedCount)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("$inc: %v", err)
	}

	var doc struct {
		N int `bson:"n"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "c"}}).Decode(&doc); err != nil {
		t.Fatalf("find: %v", err)
	}
	if doc.N != goroutines*increments {
		t.Errorf("counter = %d after %d×%d concurrent $inc, want %d", doc.N, goroutines, increments, goroutines*increments)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 2 {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate, call %d: %v", i+1, err)
		}
	}

	// The unique email index exists and holds.
	users := db.CollectionForTest("users")
	if _, err := users.InsertOne(ctx, bson.D{{Key: "email", Value: "a@example.com"}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_, err := users.InsertOne(ctx, bson.D{{Key: "email", Value: "a@example.com"}})
	if !mongo.IsDuplicateKeyError(err) {
		t.Errorf("second user with the same email: err = %v, want a duplicate-key error", err)
	}
}

func TestPingAndClose(t *testing.T) {
	db := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
