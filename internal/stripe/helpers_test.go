package stripe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"testing"
)

// recorded is one request that went through a recorder, with its answer.
type recorded struct {
	Method   string
	Path     string
	Header   http.Header
	Form     url.Values
	Status   int
	Response map[string]any
}

// indexKey carries a request's index in recorder.got to ModifyResponse.
type indexKey struct{}

// recorder is a reverse proxy in front of stripe-mock that keeps every
// request's form parameters and headers and every response's body.
type recorder struct {
	URL string
	mu  sync.Mutex
	got []recorded
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		i, ok := resp.Request.Context().Value(indexKey{}).(int)
		if !ok {
			return errors.New("recorder: request without index")
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.got[i].Status = resp.StatusCode
		rec.got[i].Response = m
		return nil
	}
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
		rec.got = append(rec.got, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form})
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), indexKey{}, i)))
	}))
	t.Cleanup(srv.Close)
	rec.URL = srv.URL
	return rec
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.got...)
}

// captureOutput runs fn with os.Stdout and os.Stderr sent to a file and
// returns what was written there. Tests using it must not run in parallel.
func captureOutput(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		fn()
	}()
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
