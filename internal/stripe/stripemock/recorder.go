package stripemock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Exchange is one request that went through a Recorder, with the answer the
// client got.
type Exchange struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values // the form-encoded body
	Status int
	// Response is the decoded JSON answer (after any rewrite), nil when it
	// was not a JSON object.
	Response map[string]any
}

// Recorder is a reverse proxy in front of stripe-mock (or any server) that
// keeps every request and its answer, and may rewrite the JSON answers:
// stripe-mock's fixtures are always the same objects, so a test that needs
// another state (a paid session, say) rewrites them on the way back.
type Recorder struct {
	// URL is the proxy's base URL; give it to the client as its API base.
	URL string

	mu      sync.Mutex
	got     []Exchange
	rewrite func(req *http.Request, obj map[string]any)
}

// exchangeKey carries a request's index in Recorder.got to the response.
type exchangeKey struct{}

// NewRecorder starts a Recorder that forwards to target (a base URL such as
// Shared returns). It is closed in tb.Cleanup.
func NewRecorder(tb testing.TB, target string) *Recorder {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatalf("stripemock: recorder target: %v", err)
	}
	rec := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = rec.modify
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		i := len(rec.got)
		rec.got = append(rec.got, Exchange{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, i)))
	}))
	tb.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

// modify records an answer, rewriting a 200 JSON object first when a
// rewrite is set.
func (r *Recorder) modify(resp *http.Response) error {
	i, ok := resp.Request.Context().Value(exchangeKey{}).(int)
	if !ok {
		return errors.New("stripemock: recorder: answer to an unrecorded request")
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		obj = nil
	}
	r.mu.Lock()
	rewrite := r.rewrite
	r.mu.Unlock()
	if rewrite != nil && resp.StatusCode == http.StatusOK {
		if obj == nil {
			return fmt.Errorf("stripemock: recorder: cannot rewrite a non-object answer to %s %s", resp.Request.Method, resp.Request.URL.Path)
		}
		rewrite(resp.Request, obj)
		if body, err = json.Marshal(obj); err != nil {
			return err
		}
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[i].Status, r.got[i].Response = resp.StatusCode, obj
	return nil
}

// SetRewrite passes every later 200 JSON answer through f, which may change
// obj in place; nil stops rewriting.
func (r *Recorder) SetRewrite(f func(req *http.Request, obj map[string]any)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewrite = f
}

// Requests returns every exchange so far, in the order the requests came.
func (r *Recorder) Requests() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.got...)
}

// Find returns the exchanges so far with this method and path; path "" means
// any path, and a path ending in "/" matches every path below it.
func (r *Recorder) Find(method, path string) []Exchange {
	var out []Exchange
	for _, g := range r.Requests() {
		if g.Method == method && (path == "" || g.Path == path || strings.HasSuffix(path, "/") && strings.HasPrefix(g.Path, path)) {
			out = append(out, g)
		}
	}
	return out
}
