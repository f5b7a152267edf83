package embeddeddb

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// TestIndexIDs: after IndexIDs, SQLite answers FerretDB's pushed-down _id
// filter (the query text of FerretDB v1.24's sqlite backend) from the index
// instead of reading the table; running it again, or on a database that
// does not exist, is a no-op.
func TestIndexIDs(t *testing.T) {
	srv, err := Start(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	ctx := context.Background()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(srv.URI()).SetMaxPoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	if _, err := client.Database("d").Collection("c").InsertOne(ctx, bson.M{"_id": "k", "v": 1}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := srv.IndexIDs(ctx, "d"); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.IndexIDs(ctx, "nothing"); err != nil {
		t.Fatalf("IndexIDs of a missing database: %v", err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(srv.dir, "d.sqlite")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'c'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "`+table+`" WHERE _ferretdb_sjson->'$._id' = ?`, `"k"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if got := strings.Join(plan, "; "); !strings.Contains(got, "_lms_id_lookup") {
		t.Errorf("query plan %q does not use the _id index", got)
	}
	var doc bson.M
	if err := client.Database("d").Collection("c").FindOne(ctx, bson.M{"_id": "k"}).Decode(&doc); err != nil || doc["v"] != int32(1) {
		t.Errorf("find by _id after indexing: %v, %v", err, doc)
	}
}
