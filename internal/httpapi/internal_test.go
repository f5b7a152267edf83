package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/auth"
)

// These tests run small handlers through the real middleware, independent
// of which JSON routes exist.

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newTestServer builds a server as NewServer does, with opts and without a
// database or domain services.
func newTestServer(t *testing.T, opts Options) (*server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	return &server{
		opts:    opts,
		logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		metrics: newMetrics(),
		started: time.Now(),
	}, logs
}

// decodeRequest is what the test handler accepts.
type decodeRequest struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

// jsonChain is a JSON endpoint behind the middleware a JSON route has.
func (s *server) jsonChain() http.Handler {
	echo := s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req decodeRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, req)
		return nil
	})
	return requestID(s.recoverPanics(s.securityHeaders(s.limitBody(apiBodyLimit)(echo))))
}

// serve runs one request through h.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// errorOf decodes an error body, failing unless it is exactly
// {"status", "message"} plus the optional keys allowed.
func errorOf(t *testing.T, w *httptest.ResponseRecorder, allowed ...string) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, w.Body)
	}
	for k := range body {
		if k != "status" && k != "message" && k != "code" && !strings.Contains(strings.Join(allowed, ","), k) {
			t.Errorf("unexpected key %q in %s", k, w.Body)
		}
	}
	if code, _ := body["code"].(string); code == "" {
		t.Errorf("no error code in %s", w.Body)
	}
	return body
}

func postJSON(body string, contentType string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/v1/test", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// padded returns a valid JSON body of exactly n bytes.
func padded(n int) string {
	const head, tail = `{"name":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestJSONBodyHandling(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.jsonChain()
	tests := []struct {
		name        string
		body        string
		contentType string
		chunked     bool // no Content-Length: the limit must bite while reading
		status      int
		message     string
	}{
		{"valid", `{"name":"Ada","age":36}`, "application/json", false, 200, ""},
		{"valid with charset", `{"name":"Ada"}`, "application/json; charset=utf-8", false, 200, ""},
		{"exactly 10 KB", padded(maxJSONBytes), "application/json", false, 200, ""},
		{"10 KB + 1", padded(maxJSONBytes + 1), "application/json", false, 413, "Request body too large"},
		{"11 KB", padded(11 << 10), "application/json", false, 413, "Request body too large"},
		{"11 KB chunked", padded(11 << 10), "application/json", true, 413, "Request body too large"},
		{"malformed", `{"name":`, "application/json", false, 400, "Malformed JSON"},
		{"not JSON", `name=Ada`, "application/json", false, 400, "Malformed JSON"},
		{"empty", ``, "application/json", false, 400, "Request body is empty"},
		{"text/plain", `{"name":"Ada"}`, "text/plain", false, 415, ""},
		{"no content type", `{"name":"Ada"}`, "", false, 415, ""},
		{"form", `name=Ada`, "application/x-www-form-urlencoded", false, 415, ""},
		{"unknown field", `{"name":"Ada","role":"admin"}`, "application/json", false, 400, `Unknown field "role"`},
		{"nested unknown field", `{"name":"Ada","x":{"y":1}}`, "application/json", false, 400, `Unknown field "x"`},
		{"case variant", `{"NAME":"Ada"}`, "application/json", false, 400, `Unknown field "NAME"`},
		{"case variant of a second field", `{"name":"Ada","Age":3}`, "application/json", false, 400, `Unknown field "Age"`},
		{"trailing object", `{"name":"Ada"}{"name":"Bob"}`, "application/json", false, 400, ""},
		{"trailing garbage", `{"name":"Ada"} x`, "application/json", false, 400, ""},
		{"array", `[{"name":"Ada"}]`, "application/json", false, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := postJSON(tt.body, tt.contentType)
			if tt.chunked {
				r.ContentLength = -1
			}
			w := serve(h, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == http.StatusOK {
				var got decodeRequest
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.Name == "" {
					t.Errorf("echo %s (%v)", w.Body, err)
				}
				return
			}
			body := errorOf(t, w, "errors")
			if body["status"] != "fail" {
				t.Errorf("status %v, want fail", body["status"])
			}
			if msg, _ := body["message"].(string); msg == "" || tt.message != "" && msg != tt.message {
				t.Errorf("message %q, want %q", msg, tt.message)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("X-Request-Id") == "" {
				t.Errorf("error response lacks security headers or request id: %v", w.Header())
			}
		})
	}
}

func TestJSONTypeMismatchIsAValidationError(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	w := serve(s.jsonChain(), postJSON(`{"name":42}`, "application/json"))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400; body %s", w.Code, w.Body)
	}
	body := errorOf(t, w, "errors")
	errs, _ := body["errors"].([]any)
	if body["message"] != "Validation failed" || len(errs) != 1 {
		t.Fatalf("body %s, want one field error", w.Body)
	}
	if e, _ := errs[0].(map[string]any); e["field"] != "name" || e["message"] == "" {
		t.Errorf("field error %v, want field name", errs[0])
	}
}

func TestDecodeOptionalJSON(t *testing.T) {
	var dst decodeRequest
	r := httptest.NewRequest(http.MethodPost, "/", http.NoBody)
	if given, err := decodeOptionalJSON(r, &dst); given || err != nil {
		t.Errorf("empty body: given %v, err %v; want false, nil", given, err)
	}
	r = postJSON(`{"name":"Ada"}`, "application/json")
	if given, err := decodeOptionalJSON(r, &dst); !given || err != nil || dst.Name != "Ada" {
		t.Errorf("body: given %v, err %v, name %q", given, err, dst.Name)
	}
	r = postJSON(`{"nope":1}`, "application/json")
	if _, err := decodeOptionalJSON(r, &dst); err == nil {
		t.Errorf("unknown field accepted")
	}
}

// secretDetail must never reach a client outside development.
const secretDetail = "mongodb://admin:hunter2@db"

func panicking(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Handler", "ran")
	panic("lost connection to " + secretDetail)
}

func TestPanicBecomes500(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	h := requestID(s.recoverPanics(s.securityHeaders(http.HandlerFunc(panicking))))
	r := httptest.NewRequest(http.MethodGet, "/api/v1/boom", nil)
	r.Header.Set("X-Request-Id", "panic-req-1")
	w := serve(h, r)

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if got, want := strings.TrimSpace(w.Body.String()), `{"status":"error","message":"Internal server error","code":"internal_error"}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
	if strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("body leaks internal detail: %s", w.Body)
	}
	if w.Header().Get("X-Request-Id") != "panic-req-1" {
		t.Errorf("X-Request-Id %q", w.Header().Get("X-Request-Id"))
	}

	// Logged once, with the request id and the cause.
	var logged []map[string]any
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["request_id"] == "panic-req-1" {
			logged = append(logged, m)
		}
	}
	if len(logged) != 1 {
		t.Fatalf("want one log record for the request, got %d:\n%s", len(logged), logs)
	}
	if l := logged[0]; l["level"] != "ERROR" || !strings.Contains(l["err"].(string), "lost connection") || l["status"] != float64(500) {
		t.Errorf("log record %v", l)
	}
}

func TestPanicShowsStackInDevelopment(t *testing.T) {
	s, _ := newTestServer(t, Options{Development: true})
	h := s.recoverPanics(http.HandlerFunc(panicking))
	w := serve(h, httptest.NewRequest(http.MethodGet, "/api/v1/boom", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	body := errorOf(t, w, "stack")
	if body["status"] != "error" || body["message"] != "Internal server error" {
		t.Errorf("body %s", w.Body)
	}
	if stack, _ := body["stack"].(string); !strings.Contains(stack, "lost connection") || !strings.Contains(stack, "panicking") {
		t.Errorf("stack %q, want the panic value and the stack trace", stack)
	}
}

func TestInternalErrorHidesDetail(t *testing.T) {
	for _, env := range []string{"test", "production"} {
		t.Run(env, func(t *testing.T) {
			s, logs := newTestServer(t, Options{Production: env == "production", ClientURLs: []string{"https://app.example.com"}})
			h := requestID(s.handle(func(http.ResponseWriter, *http.Request) error {
				return errors.New("query failed: " + secretDetail)
			}))
			w := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
			if got, want := strings.TrimSpace(w.Body.String()), `{"status":"error","message":"Internal server error","code":"internal_error"}`; w.Code != 500 || got != want {
				t.Errorf("%d %s, want 500 %s", w.Code, got, want)
			}
			if !strings.Contains(logs.String(), "hunter2") {
				t.Errorf("the cause is not logged:\n%s", logs)
			}
		})
	}
}

func TestAbortHandlerPanicPassesThrough(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler re-panicked for net/http", v)
		}
	}()
	serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	t.Errorf("ErrAbortHandler was swallowed")
}

func TestCrossOriginProtection(t *testing.T) {
	s, _ := newTestServer(t, Options{ClientURLs: []string{"http://spa.test"}})
	protect, err := s.crossOriginProtection()
	if err != nil {
		t.Fatal(err)
	}
	h := protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		method, origin string
		status         int
	}{
		{http.MethodPost, "http://evil.test", 403},
		{http.MethodDelete, "http://evil.test", 403},
		{http.MethodPatch, "null", 403},
		{http.MethodPost, "http://spa.test", 204},
		{http.MethodPost, "", 204},
		{http.MethodGet, "http://evil.test", 204},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://api.test/api/v1/x", strings.NewReader("{}"))
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		w := serve(h, r)
		if w.Code != tt.status {
			t.Errorf("%s from %q: %d, want %d", tt.method, tt.origin, w.Code, tt.status)
			continue
		}
		if tt.status == 403 {
			if body := errorOf(t, w); body["status"] != "fail" {
				t.Errorf("403 body %s", w.Body)
			}
		}
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name, trusted, peer, xff, want string
	}{
		{"no proxies: peer", "", "192.0.2.1:1234", "203.0.113.9", "192.0.2.1"},
		{"untrusted peer: XFF ignored", "10.0.0.0/8", "192.0.2.1:1234", "203.0.113.9", "192.0.2.1"},
		{"trusted peer: XFF believed", "10.0.0.0/8", "10.1.2.3:1234", "203.0.113.9", "203.0.113.9"},
		{"spoofed left-most hop ignored", "10.0.0.0/8", "10.1.2.3:1234", "1.1.1.1, 203.0.113.9", "203.0.113.9"},
		{"proxy chain", "10.0.0.0/8", "10.1.2.3:1234", "203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"garbage hop stops the walk", "10.0.0.0/8", "10.1.2.3:1234", "203.0.113.9, nonsense", "10.1.2.3"},
		{"trusted peer without XFF", "10.0.0.0/8", "10.1.2.3:1234", "", "10.1.2.3"},
		{"IPv6 peer", "", "[2001:db8::1]:443", "", "2001:db8::1"},
		{"IPv4-mapped peer", "", "[::ffff:192.0.2.1]:1", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			if tt.trusted != "" {
				opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix(tt.trusted)}
			}
			s, _ := newTestServer(t, opts)
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.peer
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := s.clientIP(r); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRateLimiterAnswersJSON(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	lim := s.newLimiter(2, time.Minute, func(r *http.Request) (string, error) { return s.clientIP(r), nil }, errIPRateLimited)
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get := func(peer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		return serve(h, r)
	}
	for range 2 {
		if w := get("192.0.2.1:1"); w.Code != 200 {
			t.Fatalf("within the limit: %d", w.Code)
		}
	}
	w := get("192.0.2.1:2")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("over the limit: %d, want 429", w.Code)
	}
	if got, want := strings.TrimSpace(w.Body.String()), `{"status":"fail","message":"Too many request from this IP, please try later","code":"rate_limited"}`; got != want {
		t.Errorf("body %s, want %s", got, want)
	}
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" || len(ra) > 2 {
		t.Errorf("Retry-After %q, want 1..60", ra)
	}
	if w := get("192.0.2.2:1"); w.Code != 200 {
		t.Errorf("another client: %d, want its own budget", w.Code)
	}
}

// An error that says when to retry (a full password queue) answers 503
// with Retry-After, through the one writer.
func TestErrorWithRetryAfter(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h := requestID(s.handle(func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("sign in: %w", auth.ErrBusy)
	}))
	w := serve(h, httptest.NewRequest(http.MethodPost, "/", nil))
	body := errorOf(t, w)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || body["code"] != "server_busy" {
		t.Errorf("%d Retry-After %q %s, want 503 with Retry-After 1 and code server_busy", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
}
