package course

import (
	"context"
	"testing"
	"time"
)

// While the catalog is too big for a snapshot the database answers, as of
// now: a fresh read (the public cache's) checks nothing and loads nothing,
// not even after a drop, which leaves the database answering until the
// check is due.
func TestCatalogFreshReadOfATooBigCatalogLoadsNothing(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	c := &catalog{ttl: 5 * time.Second, now: func() time.Time { return now }}
	var loads, revisions int
	load := func(context.Context) ([]Listed, bool, error) { loads++; return nil, true, nil }
	revision := func(context.Context) (int64, error) { revisions++; return 1, nil }

	if _, ok, err := c.published(t.Context(), load, revision); err != nil || ok {
		t.Fatalf("first read: ok %v, %v; want the database to answer", ok, err)
	}
	c.drop()
	for _, ctx := range []context.Context{t.Context(), Fresh(t.Context())} {
		if _, ok, err := c.published(ctx, load, revision); err != nil || ok {
			t.Fatalf("read after a drop: ok %v, %v; want the database to answer", ok, err)
		}
	}
	if loads != 1 || revisions != 1 {
		t.Errorf("%d loads and %d revision reads, want 1 and 1 (the first read's)", loads, revisions)
	}

	now = now.Add(5 * time.Second) // the check is due: a read makes it
	if _, ok, err := c.published(Fresh(t.Context()), load, revision); err != nil || ok {
		t.Fatalf("read after the TTL: ok %v, %v", ok, err)
	}
	if loads != 2 {
		t.Errorf("%d loads after the TTL, want 2", loads)
	}
}

// A drop while a due check reads the revision makes it load; that load
// began after the drop, so it reads the write and is kept: the next read
// does not load again.
func TestCatalogKeepsALoadThatBeganAfterADrop(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	c := &catalog{ttl: 5 * time.Second, now: func() time.Time { return now }}
	var loads int
	load := func(context.Context) ([]Listed, bool, error) {
		loads++
		return []Listed{{Course: Course{ID: "a", Title: "Alpha"}}}, false, nil
	}
	var dropping bool
	revision := func(context.Context) (int64, error) {
		if dropping {
			dropping = false
			c.drop() // a write of this instance lands meanwhile
		}
		return 1, nil
	}
	read := func() {
		t.Helper()
		if entries, ok, err := c.published(t.Context(), load, revision); err != nil || !ok || len(entries) != 1 {
			t.Fatalf("published: %v %v %v", entries, ok, err)
		}
	}
	read()
	now = now.Add(5 * time.Second)
	dropping = true
	read() // the check: dropped during it, so it loads
	read() // the load is the snapshot
	if loads != 2 {
		t.Errorf("%d loads, want 2 (the first, and the one after the drop)", loads)
	}
}
