// Package mongotest gives tests a database: the embedded FerretDB started
// once per test binary, or the MongoDB server named by MONGODB_TEST_URI. Each
// test gets a database of its own, dropped when the test ends.
//
// A package whose tests use it calls Main from its TestMain:
//
//	func TestMain(m *testing.M) { mongotest.Main(m) }
//
// or, to stop a shared stripe-mock as well:
//
//	func TestMain(m *testing.M) { mongotest.Main(m, stripemock.StopShared) }
package mongotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/embeddeddb"
	"github.com/lms-backend/lms/internal/mongodb"
)

// server is the database of this test binary, set once by Main before any
// test runs and read-only afterwards.
var server struct {
	uri      string
	embedded *embeddeddb.Server
}

// Main starts the database, runs the tests, stops the database, runs after
// (stopping other test servers, say) and exits.
func Main(m *testing.M, after ...func()) {
	code := run(m)
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

func run(m *testing.M) int {
	if uri := os.Getenv("MONGODB_TEST_URI"); uri != "" {
		server.uri = uri
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "lms-testdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mongotest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := embeddeddb.Start(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mongotest:", err)
		return 1
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	}()
	server.uri, server.embedded = srv.URI(), srv
	return m.Run()
}

// Options returns connection options for a fresh database, as the service
// itself would connect to it.
func Options(tb testing.TB) mongodb.Options {
	tb.Helper()
	if server.uri == "" {
		tb.Fatal("mongotest: call mongotest.Main from TestMain")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	opts := mongodb.Options{URI: server.uri, Database: "test_" + hex.EncodeToString(b)}
	if srv := server.embedded; srv != nil {
		opts.SingleConnection = true
		opts.AfterMigrate = func(ctx context.Context) error { return srv.IndexIDs(ctx, opts.Database) }
	}
	return opts
}

// Open connects to a fresh, migrated database (indexes included), dropped at the end of the test.
func Open(tb testing.TB) *mongodb.DB {
	tb.Helper()
	return OpenWith(tb, Options(tb))
}

// OpenWith connects with opts and drops the database at the end of the test.
func OpenWith(tb testing.TB, opts mongodb.Options) *mongodb.DB {
	tb.Helper()
	db, err := mongodb.Connect(opts)
	if err != nil {
		tb.Fatalf("mongotest: connect: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("mongotest: migrate: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = db.Close(ctx)
	})
	return db
}

// Connect opens a plain driver handle on the database opts names, through a
// single connection like the service's on the embedded server, and
// disconnects it when the test ends. The embedded server does not isolate
// updates from different connections, so do not update documents through it
// while the service may be updating them: arrange documents before the
// requests that read them and check them afterwards.
func Connect(tb testing.TB, opts mongodb.Options) *mongo.Database {
	tb.Helper()
	client, err := mongo.Connect(context.Background(), options.Client().ApplyURI(opts.URI).SetMaxPoolSize(1))
	if err != nil {
		tb.Fatalf("mongotest: connect: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Disconnect(ctx)
	})
	return client.Database(opts.Database)
}
