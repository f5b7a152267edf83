package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// wantJSON asserts that a response says its body is JSON.
func wantJSON(t testing.TB, resp *apptest.Response) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json", resp.Request.Method, resp.Request.URL.Path, ct)
	}
}

// wantStatus fails the test now unless the response has this status.
func wantStatus(t testing.TB, resp *apptest.Response, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, resp.Body)
	}
}

// wantAnyFail asserts a refused request with any message: the body of
// apptest.WantError, or for "Validation failed" that body plus "errors".
func wantAnyFail(t testing.TB, resp *apptest.Response, status int) {
	t.Helper()
	wantStatus(t, resp, status)
	if resp.JSON(t)["message"] != "Validation failed" {
		apptest.WantError(t, resp, status, "")
		return
	}
	wantJSON(t, resp)
	body := resp.JSON(t)
	wantKeys(t, "validation error", body, "status", "message", "code", "errors")
	if body["status"] != "fail" || body["code"] != "validation_failed" {
		t.Errorf("status %v, code %v: want \"fail\", \"validation_failed\"", body["status"], body["code"])
	}
}

// wantOK asserts a success: the status, a JSON content type, {"success":
// true} and, unless message is "", that message. It returns the body.
func wantOK(t testing.TB, resp *apptest.Response, status int, message string) map[string]any {
	t.Helper()
	wantStatus(t, resp, status)
	wantJSON(t, resp)
	m := resp.JSON(t)
	if m["success"] != true {
		t.Errorf("success = %v, want true; body %s", m["success"], resp.Body)
	}
	if message != "" && m["message"] != message {
		t.Errorf("message = %q, want %q", m["message"], message)
	}
	return m
}

// wantValidation asserts a 400 "Validation failed" with exactly one error,
// with a message, for each of fields.
func wantValidation(t testing.TB, resp *apptest.Response, fields ...string) {
	t.Helper()
	want := map[string]string{}
	for _, f := range fields {
		if _, dup := want[f]; dup {
			t.Fatalf("wantValidation: field %q named twice", f)
		}
		want[f] = ""
	}
	wantValidationMessages(t, resp, want)
}

// wantValidationMessages asserts a 400 "Validation failed" with exactly one
// error, with a message, for each field of want; a non-empty message in want
// must match exactly.
func wantValidationMessages(t testing.TB, resp *apptest.Response, want map[string]string) {
	t.Helper()
	wantStatus(t, resp, http.StatusBadRequest)
	var body struct {
		Status, Message string
		Errors          []struct{ Field, Message string }
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("body: %v\n%s", err, resp.Body)
	}
	if body.Status != "fail" || body.Message != "Validation failed" {
		t.Errorf("body %s, want a validation failure", resp.Body)
	}
	got := map[string]string{}
	for _, e := range body.Errors {
		if e.Message == "" {
			t.Errorf("field %q has no message", e.Field)
		}
		if _, dup := got[e.Field]; dup {
			t.Errorf("field %q reported twice", e.Field)
		}
		got[e.Field] = e.Message
	}
	for f, msg := range want {
		g, ok := got[f]
		switch {
		case !ok:
			t.Errorf("no error for field %q; body %s", f, resp.Body)
		case msg != "" && g != msg:
			t.Errorf("field %q: message %q, want %q", f, g, msg)
		}
	}
	for f := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("unexpected error for field %q; body %s", f, resp.Body)
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// wantKeys asserts that m has exactly keys.
func wantKeys(t testing.TB, where string, m map[string]any, keys ...string) {
	t.Helper()
	want := slices.Sorted(slices.Values(keys))
	if got := sortedKeys(m); !slices.Equal(got, want) {
		t.Errorf("%s keys %v, want %v", where, got, want)
	}
}

// objects returns m[key] as an array of JSON objects, failing the test
// otherwise.
func objects(t testing.TB, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := m[key].([]any)
	if !ok {
		t.Fatalf("%q is %T (%v), want an array", key, m[key], m[key])
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		if out[i], ok = v.(map[string]any); !ok {
			t.Fatalf("%q[%d] is %T, want an object", key, i, v)
		}
	}
	return out
}

// idsOf returns the "_id" of each object.
func idsOf(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, m := range items {
		out[i], _ = m["_id"].(string)
	}
	return out
}

// objectID parses a hex ObjectId, failing the test otherwise.
func objectID(t testing.TB, id string) primitive.ObjectID {
	t.Helper()
	oid, err := primitive.ObjectIDFromHex(id)
	if err != nil {
		t.Fatalf("ObjectId %q: %v", id, err)
	}
	return oid
}

// send sends a request with a header set and returns the finished response.
func send(t *testing.T, s *apptest.Server, method, path string, body any, header http.Header) *apptest.Response {
	t.Helper()
	req := s.NewRequest(t, method, path, body)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req.Send(t)
}

// logLines returns the service's log records that are JSON objects.
func logLines(t *testing.T, s *apptest.Server) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(s.Logs()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// result is what a request sent from a goroutine got, for checking on the
// test goroutine afterwards: other goroutines may not fail the test.
type result struct {
	status int
	body   []byte
	err    error
}

// sendRaw sends a request without touching testing.T, for goroutines. A body
// that is a string or []byte is sent as is, anything else as JSON; the
// Content-Type and the session cookie are set unless "".
func sendRaw(method, url, contentType, token string, body any) result {
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return result{err: err}
		}
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(raw))
	if err != nil {
		return result{err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "token", Value: token})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, body: b, err: err}
}

// concurrently runs f(0..n-1) on n goroutines, released together once all
// have started, and returns their results in order.
func concurrently(n int, f func(i int) result) []result {
	out := make([]result, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = f(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}
