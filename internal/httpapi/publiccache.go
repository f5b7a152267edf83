package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/lms-backend/lms/internal/course"
)

// maxPublicEntries bounds the public cache; past it, it starts over.
const maxPublicEntries = 1_000

// publicCache keeps the anonymous answers of the public catalog reads (the
// published list, search, a course page, a lecture list) for a short time.
// Answers to a request with a session cookie depend on the caller and never
// enter it or come from it. Every answer it handles carries a strong ETag
// (a hash of the body) and is 304 for a matching If-None-Match. This
// instance's catalog writes empty it at once (see dropPublic); another
// instance's show after at most the TTL.
type publicCache struct {
	ttl     time.Duration // 0 disables it
	mu      sync.Mutex
	entries map[string]publicAnswer
	// filling has a channel for each key one request is answering for
	// the cache; others asking for it meanwhile wait for that answer
	// instead of all going to the database at once.
	filling map[string]chan struct{}
	// drops counts dropPublic calls: an answer during which one happened
	// may predate that write, so it is not kept.
	drops uint64
}

type publicAnswer struct {
	header  http.Header // what the handler set (Content-Type, Link, …)
	body    []byte
	etag    string
	filled  time.Time // when the fill began: the data are as of then
	expires time.Time
}

func newPublicCache(ttl time.Duration) *publicCache {
	return &publicCache{ttl: ttl, entries: map[string]publicAnswer{}, filling: map[string]chan struct{}{}}
}

// cachePublic serves anonymous GETs from the public cache and fills it.
func (s *server) cachePublic(next http.Handler) http.Handler {
	c := s.public
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.ttl <= 0 || r.Method != http.MethodGet || sessionToken(r) != "" {
			next.ServeHTTP(w, r)
			return
		}
		key := r.URL.RequestURI()
		a, hit, fill := c.lookup(r, key)
		switch {
		case fill:
			var ok bool
			if a, ok = c.fill(next, w, r, key); !ok {
				return
			}
		case !hit:
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		for k, v := range a.header {
			h[k] = v
		}
		h.Set("ETag", a.etag)
		// Age counts the time the answer has already spent here against
		// max-age, so a browser or shared cache behind keeps it only until
		// one TTL after its fill, not another TTL from this hit.
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(c.ttl.Seconds())))
		h.Set("Age", strconv.Itoa(int(time.Since(a.filled).Seconds())))
		h.Set("Vary", "Cookie")
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.body)
	})
}

// lookup returns the cached answer for key (hit). On a miss, fill says
// that this request is to answer for the cache (see fill); when another
// request is doing that already, lookup waits for its answer. A request
// that stops waiting (its context ended) gets neither and answers alone.
func (c *publicCache) lookup(r *http.Request, key string) (a publicAnswer, hit, fill bool) {
	for {
		c.mu.Lock()
		a, ok := c.entries[key]
		if ok && time.Now().Before(a.expires) {
			c.mu.Unlock()
			return a, true, false
		}
		wait, busy := c.filling[key]
		if !busy {
			c.filling[key] = make(chan struct{})
			c.mu.Unlock()
			return publicAnswer{}, false, true
		}
		c.mu.Unlock()
		select {
		case <-wait:
		case <-r.Context().Done():
			return publicAnswer{}, false, false
		}
	}
}

// fill answers a request for the cache: a 200 is returned (ok) and stored
// unless a drop happened meanwhile, anything else is written to w as it is.
// Either way the requests waiting for key are woken.
func (c *publicCache) fill(next http.Handler, w http.ResponseWriter, r *http.Request, key string) (a publicAnswer, ok bool) {
	c.mu.Lock()
	drops := c.drops
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if ok && c.drops == drops {
			if len(c.entries) >= maxPublicEntries {
				clear(c.entries)
			}
			c.entries[key] = a
		}
		close(c.filling[key])
		delete(c.filling, key)
	}()
	// The answer is read as of now (course.Fresh: no course or snapshot the
	// service keeps is reused unchecked) and kept for the TTL from now, so
	// another instance's write shows within the TTL.
	began := time.Now()
	rec := &bufferedAnswer{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(rec, r.WithContext(course.Fresh(r.Context())))
	if rec.status != http.StatusOK {
		rec.flush(w)
		return publicAnswer{}, false
	}
	sum := sha256.Sum256(rec.body.Bytes())
	return publicAnswer{
		header: rec.header, body: rec.body.Bytes(),
		etag:   `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
		filled: began, expires: began.Add(c.ttl),
	}, true
}

// dropPublic empties the public cache after a catalog write of this
// instance that succeeded (or may have).
func (s *server) dropPublic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method == http.MethodGet {
			return
		}
		s.public.mu.Lock()
		clear(s.public.entries)
		s.public.drops++
		s.public.mu.Unlock()
	})
}

// bufferedAnswer is a ResponseWriter that keeps the answer for the cache.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header         { return b.header }
func (b *bufferedAnswer) WriteHeader(status int)      { b.status = status }
func (b *bufferedAnswer) Write(p []byte) (int, error) { return b.body.Write(p) }

// flush writes the kept answer to w as it is.
func (b *bufferedAnswer) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
