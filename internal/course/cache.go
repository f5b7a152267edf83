package course

import (
	"context"
	"sync"
	"time"
)

// maxCached bounds the cache: past it, expired entries go, and if that is
// not enough, all of them.
const maxCached = 10_000

// cache keeps the courses that pages, video URLs and progress read, for a
// short time. This instance's catalog writes drop their course at once;
// another instance's writes show after at most the TTL. Writes always read
// the course fresh.
type cache struct {
	ttl     time.Duration // 0 disables the cache
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]cached
	// drops counts drop calls: a read during which one happened may
	// predate that write, so it is not kept.
	drops uint64
	// catalog is the snapshot of the published courses, with the same TTL
	// and dropped with every course.
	catalog *catalog
}

type cached struct {
	course  Course
	expires time.Time
}

type freshKey struct{}

// Fresh marks a read whose answer a cache in front of the service keeps
// for the TTL (httpapi's public cache): the course cache and the catalog
// snapshot then answer as of now — the course is read again, the
// snapshot's revision checked (one _id read each) — so that what the cache
// in front keeps is never older than its own TTL, rather than up to twice
// that.
func Fresh(ctx context.Context) context.Context { return context.WithValue(ctx, freshKey{}, true) }

func isFresh(ctx context.Context) bool { return ctx.Value(freshKey{}) != nil }

func newCache(ttl time.Duration, now func() time.Time) *cache {
	return &cache{ttl: ttl, now: now, entries: map[string]cached{}, catalog: &catalog{ttl: ttl, now: now}}
}

// course returns the course with this id from the cache, or from read
// (which it then keeps).
func (c *cache) course(ctx context.Context, id string, read func(context.Context, string) (*Course, error)) (*Course, error) {
	if c.ttl <= 0 {
		return read(ctx, id)
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	drops := c.drops
	c.mu.Unlock()
	if ok && now.Before(e.expires) && !isFresh(ctx) {
		course := e.course
		return &course, nil
	}
	course, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drops != drops {
		return course, nil
	}
	if len(c.entries) >= maxCached {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCached {
			clear(c.entries)
		}
	}
	c.entries[id] = cached{course: *course, expires: now.Add(c.ttl)}
	return course, nil
}

// drop forgets a course this instance changed, and the published
// snapshot.
func (c *cache) drop(id string) {
	c.catalog.drop()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	delete(c.entries, id)
}
