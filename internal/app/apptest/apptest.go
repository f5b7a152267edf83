// Package apptest runs the whole service for black-box tests: the real
// router over a fresh database of the test database server (see mongotest),
// behind an httptest server, with a plain driver handle on that database.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// ClientOrigin is the SPA origin test servers allow.
const ClientOrigin = "http://spa.test"

// Server is a running service.
type Server struct {
	*httptest.Server
	App *app.App
	// Mongo is a plain driver handle on the service's database (see
	// Connect), for arranging what the API cannot and checking what the
	// service stored. It is nil when the server was started with StartWith.
	Mongo *mongo.Database
	logs  *syncBuffer
}

// Env returns the settings of a test server, with overrides applied.
func Env(tb testing.TB, overrides map[string]string) map[string]string {
	tb.Helper()
	env := map[string]string{
		"APP_ENV":        "test",
		"DATA_DIR":       tb.TempDir(),
		"SECRET_KEY":     "test-secret-key-0123456789abcdef0123456789",
		"CLIENT_URL":     ClientOrigin,
		"RATE_LIMIT_MAX": "1000000",
		// Tests seed through the repositories, past the catalog cache:
		// tests of the cache turn it on.
		"CATALOG_CACHE_TTL": "0",
		// Concurrency tests hash many passwords at once on a loaded
		// machine; they test correctness, not the queue.
		"PASSWORD_QUEUE_WAIT": "1m",
		"BCRYPT_COST":         "4",
		"LOG_LEVEL":           "debug",
		"LOG_FORMAT":          "json",

		// The per-client limit of the auth routes, high like RATE_LIMIT_MAX.
		"AUTH_IP_RATE_LIMIT_MAX": "1000000",
		// The per-client limit of certificate verification, high too.
		"VERIFY_RATE_LIMIT_MAX": "1000000",
		"COUPON_RATE_LIMIT_MAX": "1000000",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return env
}

// Start runs the service on a fresh database with the test settings and
// overrides, and connects Server.Mongo to that database; both stop with the
// test.
func Start(tb testing.TB, overrides map[string]string) *Server {
	tb.Helper()
	opts := mongotest.Options(tb)
	s := StartWith(tb, mongotest.OpenWith(tb, opts), overrides)
	s.Mongo = mongotest.Connect(tb, opts)
	return s
}

// Count counts the documents of a collection that match filter (nil: all),
// through Server.Mongo.
func (s *Server) Count(tb testing.TB, collection string, filter bson.M) int64 {
	tb.Helper()
	n, err := s.Mongo.Collection(collection).CountDocuments(context.Background(), filter)
	if err != nil {
		tb.Fatalf("apptest: count %s: %v", collection, err)
	}
	return n
}

// ClosedAddr returns a loopback host:port that nothing listens on, for
// pointing a client at a server that is down.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("apptest: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// StartWith is Start over a given database connection; it leaves
// Server.Mongo nil.
func StartWith(tb testing.TB, db *mongodb.DB, overrides map[string]string) *Server {
	tb.Helper()
	env := Env(tb, overrides)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatalf("apptest: config: %v", err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, logger, db)
	if err != nil {
		tb.Fatalf("apptest: %v", err)
	}
	s := &Server{Server: httptest.NewServer(a.Handler), App: a, logs: logs}
	tb.Cleanup(s.Close)
	return s
}

// Logs returns everything the service logged so far.
func (s *Server) Logs() string { return s.logs.String() }

// Response is a finished response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into a generic map.
func (r *Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("apptest: body is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// Cookie returns the named cookie the response sets, or nil.
func (r *Response) Cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// WantError asserts an error response as the service writes them: the
// status, a JSON content type and exactly the body {"status": word,
// "message": message}, where word is "fail" for a 4xx status and "error"
// for a 5xx one. A message of "" matches any non-empty message.
func WantError(tb testing.TB, resp *Response, status int, message string) {
	tb.Helper()
	where := resp.Request.Method + " " + resp.Request.URL.Path
	if resp.StatusCode != status {
		tb.Fatalf("%s: status %d, want %d; body %s", where, resp.StatusCode, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("%s: Content-Type %q, want application/json", where, ct)
	}
	word := "fail"
	if status >= 500 {
		word = "error"
	}
	body := resp.JSON(tb)
	msg, isString := body["message"].(string)
	code, _ := body["code"].(string)
	if len(body) != 3 || body["status"] != word || !isString || message == "" && msg == "" || message != "" && msg != message || !validCode(code) {
		tb.Errorf("%s: body %s, want {\"status\":%q,\"message\":%q,\"code\":…}", where, resp.Body, word, message)
	}
}

// validCode reports whether code looks like an error code: snake_case.
func validCode(code string) bool {
	if code == "" {
		return false
	}
	for _, r := range code {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// Object returns m[key] as a JSON object, failing the test otherwise.
func Object(tb testing.TB, m map[string]any, key string) map[string]any {
	tb.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		tb.Fatalf("%q is %T (%v), want an object", key, m[key], m[key])
	}
	return v
}

// Request is a request being built.
type Request struct {
	*http.Request
}

// NewRequest builds a request to path. A body that is a string or []byte is
// sent as is; anything else is encoded as JSON with Content-Type set.
func (s *Server) NewRequest(tb testing.TB, method, path string, body any) *Request {
	tb.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("apptest: encode body: %v", err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		tb.Fatalf("apptest: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return &Request{req}
}

// WithCookie adds the session cookie.
func (r *Request) WithCookie(token string) *Request {
	if token != "" {
		r.AddCookie(&http.Cookie{Name: "token", Value: token})
	}
	return r
}

// WithHeader sets a header.
func (r *Request) WithHeader(k, v string) *Request {
	r.Header.Set(k, v)
	return r
}

// Send sends the request, reads the whole response and checks the exchange
// against the OpenAPI document (see checkContract).
func (r *Request) Send(tb testing.TB) *Response {
	tb.Helper()
	var sent []byte // nil when the body is streamed and cannot be read twice
	if r.GetBody != nil {
		if b, err := r.GetBody(); err == nil {
			sent, _ = io.ReadAll(b)
			if sent == nil {
				sent = []byte{}
			}
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r.Request)
	if err != nil {
		tb.Fatalf("apptest: %s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("apptest: read body: %v", err)
	}
	checkContract(tb, r.Request, sent, resp, body)
	return &Response{Response: resp, Body: body}
}

// Do sends a request with an optional JSON body and session cookie.
func (s *Server) Do(tb testing.TB, method, path string, body any, token string) *Response {
	tb.Helper()
	return s.NewRequest(tb, method, path, body).WithCookie(token).Send(tb)
}

// syncBuffer is a buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
