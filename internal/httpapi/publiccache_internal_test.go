package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// An anonymous answer that a catalog write of this instance overlapped is
// not kept: it may predate the write, which must show at once.
func TestPublicCacheKeepsNoAnswerOlderThanADrop(t *testing.T) {
	s := &server{public: newPublicCache(time.Minute)}
	var catalog atomic.Value
	catalog.Store("before the write")
	var hold atomic.Bool
	hold.Store(true)
	read, resume := make(chan struct{}), make(chan struct{})
	page := s.cachePublic(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		body := catalog.Load().(string)
		if hold.CompareAndSwap(true, false) {
			read <- struct{}{}
			<-resume
		}
		_, _ = w.Write([]byte(body))
	}))
	write := s.dropPublic(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		catalog.Store("after the write")
	}))
	get := func() string {
		rec := httptest.NewRecorder()
		page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/courses/published", nil))
		return rec.Body.String()
	}

	done := make(chan string)
	go func() { done <- get() }()
	<-read // the answer has read the catalog
	write.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPatch, "/api/v1/courses/c1", nil))
	close(resume)
	if got := <-done; got != "before the write" {
		t.Fatalf("the overlapping answer: %q", got)
	}
	if got := get(); got != "after the write" {
		t.Errorf("after this instance's write the public cache answers %q, want %q", got, "after the write")
	}
}

// A kept answer carries its Age: a browser or shared cache behind counts it
// against max-age, so it keeps the answer until one TTL after the fill, not
// a whole TTL more from the hit.
func TestPublicCacheAnswerCarriesItsAge(t *testing.T) {
	s := &server{public: newPublicCache(time.Minute)}
	page := s.cachePublic(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("catalog"))
	}))
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		page.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/courses/published", nil))
		return rec
	}
	if age := get().Header().Get("Age"); age == "" {
		t.Fatal("a fresh answer carries no Age")
	}
	s.public.mu.Lock()
	a := s.public.entries["/api/v1/courses/published"]
	a.filled = a.filled.Add(-40 * time.Second) // as if filled 40 s ago
	s.public.entries["/api/v1/courses/published"] = a
	s.public.mu.Unlock()
	rec := get()
	age, err := strconv.Atoi(rec.Header().Get("Age"))
	if err != nil || age < 40 || age >= 60 || rec.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("an answer filled 40 s ago: Age %q, Cache-Control %q; want Age 40 to 59 with max-age=60",
			rec.Header().Get("Age"), rec.Header().Get("Cache-Control"))
	}
}
