package httpapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// wantError asserts an error response: the status, a JSON content type and
// exactly the body {"status": word, "message": message} (message "" matches
// any non-empty message).
func wantError(t *testing.T, resp *apptest.Response, status int, word, message string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, resp.Body)
	}
	if got := sortedKeys(body); !slices.Equal(got, []string{"message", "status"}) {
		t.Errorf("body keys %v, want [message status]; body %s", got, resp.Body)
	}
	if body["status"] != word {
		t.Errorf("status %v, want %q", body["status"], word)
	}
	msg, _ := body["message"].(string)
	if message == "" && msg == "" || message != "" && msg != message {
		t.Errorf("message %q, want %q", msg, message)
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// object returns m[key] as a JSON object, failing the test otherwise.
func object(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("%q is %T (%v), want an object", key, m[key], m[key])
	}
	return v
}

// wantKeys asserts that m has exactly keys.
func wantKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	slices.Sort(keys)
	if got := sortedKeys(m); !slices.Equal(got, keys) {
		t.Errorf("%s keys %v, want %v", where, got, keys)
	}
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
