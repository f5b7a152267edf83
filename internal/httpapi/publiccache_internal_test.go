package httpapi

import (
	"net/http"
	"net/http/httptest"
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
