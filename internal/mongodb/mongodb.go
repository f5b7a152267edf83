// Package mongodb is the only package that talks to the MongoDB driver: the
// connection, the indexes and the repositories. Each repository owns the
// documents it writes and lives in one file named for it: users.go
// (users), courses.go and lectures.go (CourseRepo: courses and lectures,
// which change together), enrolments.go (the users' enrolledCourses entries
// and the courses' enrolledCount — stored inside those documents so that a
// profile is one read, written only here), progress.go (courseprogresses),
// purchases.go (coursepurchases), webhookevents.go (webhookevents),
// ledger.go (UnmatchedRefundRepo: unmatchedrefunds) and certificates.go
// (certificates). A repository may read another's collection for display
// (courses read their instructors' names; ledger.go's LedgerDirectory reads
// course titles and buyer names), never write it.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"
)

// Timeouts that keep a dead database from hanging requests.
const (
	serverSelectionTimeout = 2 * time.Second
	connectTimeout         = 2 * time.Second
	// OperationTimeout bounds a single database operation that has no
	// shorter deadline of its own.
	OperationTimeout = 10 * time.Second
)

// Options says how to connect.
type Options struct {
	URI      string
	Database string
	// SingleConnection keeps the pool at one connection. The embedded
	// FerretDB needs it: it runs updates as unisolated read-modify-writes, so
	// concurrent connections lose updates; one connection serialises them.
	SingleConnection bool
	// SoleWriter says that no other client writes the database: the
	// embedded server of this process. Writes of one progress record then
	// take turns through a lock of the handle, and the replace needs no
	// version in its filter (see ProgressRepo), which keeps the filter one
	// the embedded database finds by _id.
	SoleWriter bool
	// AfterMigrate, when set, runs at the end of every successful Migrate:
	// the embedded server indexes _id the way its lookups need
	// (embeddeddb.Server.IndexIDs).
	AfterMigrate func(context.Context) error
}

// DB is a connected database handle.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	// migrated is set once Migrate has finished on this handle: until then
	// the repositories also look for records under the keys older versions
	// used (see Migrate).
	migrated atomic.Bool
	// soleWriter is Options.SoleWriter; progressLocks are then the locks
	// of every ProgressRepo of the handle.
	soleWriter    bool
	progressLocks recordLocks
	afterMigrate  func(context.Context) error
}

// Connect creates a client. Like the driver, it does no I/O: the database may
// be down now and come up later; Ping tells.
func Connect(opts Options) (*DB, error) {
	co := options.Client().
		ApplyURI(opts.URI).
		SetServerSelectionTimeout(serverSelectionTimeout).
		SetConnectTimeout(connectTimeout).
		SetTimeout(OperationTimeout).
		SetMonitor(commandMonitor()).
		SetAppName("lms")
	if opts.SingleConnection {
		co.SetMaxPoolSize(1)
	}
	client, err := mongo.Connect(context.Background(), co)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return &DB{client: client, db: client.Database(opts.Database), soleWriter: opts.SoleWriter, afterMigrate: opts.AfterMigrate}, nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	return d.client.Ping(ctx, readpref.Primary())
}

// Close disconnects.
func (d *DB) Close(ctx context.Context) error {
	return d.client.Disconnect(ctx)
}

// Drop deletes the whole database. Tests use it to clean up.
func (d *DB) Drop(ctx context.Context) error {
	return d.db.Drop(ctx)
}

// collection returns a collection handle.
func (d *DB) collection(name string) *mongo.Collection {
	return d.db.Collection(name)
}

// isDuplicateKey reports whether err is a unique-index violation.
func isDuplicateKey(err error) bool {
	return mongo.IsDuplicateKeyError(err)
}

// isNoDocuments reports whether err says nothing matched.
func isNoDocuments(err error) bool {
	return errors.Is(err, mongo.ErrNoDocuments)
}
