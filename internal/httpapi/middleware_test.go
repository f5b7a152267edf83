package httpapi_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

const (
	signinPath    = "/api/v1/user/signin"
	foreignOrigin = "http://evil.test"
	tooManyFromIP = "Too many request from this IP, please try later"
)

func TestCORSPreflight(t *testing.T) {
	s := apptest.Start(t, nil)
	preflight := func(origin string) *apptest.Response {
		t.Helper()
		return send(t, s, http.MethodOptions, signinPath, nil, http.Header{
			"Origin":                         {origin},
			"Access-Control-Request-Method":  {"POST"},
			"Access-Control-Request-Headers": {"Content-Type"},
		})
	}

	t.Run("allowed origin", func(t *testing.T) {
		resp := preflight(apptest.ClientOrigin)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("status %d, want 204", resp.StatusCode)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != apptest.ClientOrigin {
			t.Errorf("Access-Control-Allow-Origin %q, want %q", got, apptest.ClientOrigin)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("Access-Control-Allow-Credentials %q, want true", got)
		}
		if got := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
			t.Errorf("Access-Control-Allow-Methods %q, want POST in it", got)
		}
	})
	t.Run("foreign origin", func(t *testing.T) {
		resp := preflight(foreignOrigin)
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods"} {
			if got := resp.Header.Get(h); got != "" {
				t.Errorf("%s %q for a foreign origin, want none", h, got)
			}
		}
	})
	t.Run("simple request", func(t *testing.T) {
		resp := send(t, s, http.MethodGet, healthPath, nil, http.Header{"Origin": {apptest.ClientOrigin}})
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != apptest.ClientOrigin {
			t.Errorf("Access-Control-Allow-Origin %q, want %q", got, apptest.ClientOrigin)
		}
		if got := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(got, "X-Request-Id") {
			t.Errorf("Access-Control-Expose-Headers %q, want X-Request-Id in it", got)
		}
	})
}

func TestCrossOriginWritesRefused(t *testing.T) {
	s := apptest.Start(t, nil)
	malformed := http.Header{"Content-Type": {"application/json"}}

	resp := send(t, s, http.MethodPost, signinPath, "{", http.Header{
		"Content-Type": {"application/json"}, "Origin": {foreignOrigin},
	})
	apptest.WantError(t, resp, http.StatusForbidden, "")

	resp = send(t, s, http.MethodPost, signinPath, "{", http.Header{
		"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"},
	})
	apptest.WantError(t, resp, http.StatusForbidden, "")

	// The SPA's origin and clients that send no Origin (curl, servers) get
	// through to the handler, which rejects the malformed body.
	for _, h := range []http.Header{
		{"Content-Type": {"application/json"}, "Origin": {apptest.ClientOrigin}},
		malformed,
	} {
		resp = send(t, s, http.MethodPost, signinPath, "{", h)
		apptest.WantError(t, resp, http.StatusBadRequest, "Malformed JSON")
	}

	// Reads are not writes.
	resp = send(t, s, http.MethodGet, healthPath, nil, http.Header{"Origin": {foreignOrigin}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with a foreign Origin: %d, want 200", resp.StatusCode)
	}
}

// securityHeaders are the headers API.md §1 puts on every response.
var securityHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "SAMEORIGIN",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-site",
}

func wantSecurityHeaders(t *testing.T, resp *apptest.Response, hsts bool) {
	t.Helper()
	for k, v := range securityHeaders {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%d response: %s %q, want %q", resp.StatusCode, k, got, v)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%d response: Content-Security-Policy %q, want default-src 'none'", resp.StatusCode, csp)
	}
	if got := resp.Header.Get("X-Powered-By"); got != "" {
		t.Errorf("%d response: X-Powered-By %q", resp.StatusCode, got)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); (got != "") != hsts {
		t.Errorf("%d response: Strict-Transport-Security %q, want it set: %v", resp.StatusCode, got, hsts)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := apptest.Start(t, nil)
	ok := s.Do(t, http.MethodGet, healthPath, nil, "")
	if ok.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", ok.StatusCode)
	}
	wantSecurityHeaders(t, ok, false)
	wantSecurityHeaders(t, s.Do(t, http.MethodGet, "/no/such/route", nil, ""), false)
	wantSecurityHeaders(t, send(t, s, http.MethodPost, signinPath, "{", http.Header{"Content-Type": {"application/json"}}), false)

	t.Run("production adds HSTS", func(t *testing.T) {
		prod := apptest.Start(t, map[string]string{"APP_ENV": "production", "MONGODB_URI": "mongodb://db.invalid", "BCRYPT_COST": "10"})
		for _, path := range []string{healthPath, "/no/such/route"} {
			resp := prod.Do(t, http.MethodGet, path, nil, "")
			wantSecurityHeaders(t, resp, true)
			if got, want := resp.Header.Get("Strict-Transport-Security"), "max-age=31536000; includeSubDomains"; got != want {
				t.Errorf("%s: Strict-Transport-Security %q, want %q (one year)", path, got, want)
			}
		}
	})
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	s := apptest.Start(t, nil)
	tests := []struct {
		name, sent string
		echoed     bool
	}{
		{"sane", "req-42.abc_XYZ", true},
		{"absent", "", false},
		{"space", "two words", false},
		{"markup", "<script>", false},
		{"too long", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.NewRequest(t, http.MethodGet, healthPath, nil)
			if tt.sent != "" {
				req.Header.Set("X-Request-Id", tt.sent)
			}
			resp := req.Send(t)
			id := resp.Header.Get("X-Request-Id")
			switch {
			case tt.echoed && id != tt.sent:
				t.Errorf("X-Request-Id %q, want the sane one sent, %q", id, tt.sent)
			case !tt.echoed && (id == tt.sent || !generatedID.MatchString(id)):
				t.Errorf("X-Request-Id %q for %q sent, want a generated one", id, tt.sent)
			}
			found := false
			for _, l := range logLines(t, s) {
				if l["msg"] == "request" && l["request_id"] == id {
					found = true
					if l["path"] != healthPath || l["status"] != float64(200) {
						t.Errorf("log line for request %q: %v", id, l)
					}
				}
			}
			if !found {
				t.Errorf("no request log line with request_id %q in\n%s", id, s.Logs())
			}
		})
	}

	// Error responses carry it too.
	resp := send(t, s, http.MethodGet, "/nope", nil, http.Header{"X-Request-Id": {"abc"}})
	if got := resp.Header.Get("X-Request-Id"); got != "abc" {
		t.Errorf("404: X-Request-Id %q, want abc", got)
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	s := apptest.Start(t, nil)
	for _, path := range []string{"/nope", "/api/v1/nope", "/api/v1/user/nope", "/api/v2/healthcheck"} {
		apptest.WantError(t, s.Do(t, http.MethodGet, path, nil, ""), http.StatusNotFound, "Route not found")
	}
	apptest.WantError(t, s.Do(t, http.MethodPost, healthPath, nil, ""), http.StatusMethodNotAllowed, "")
	apptest.WantError(t, s.Do(t, http.MethodDelete, healthPath, nil, ""), http.StatusMethodNotAllowed, "")
	apptest.WantError(t, s.Do(t, http.MethodGet, signinPath, nil, ""), http.StatusMethodNotAllowed, "")
}

// badSignin sends a request the per-IP limiter counts and the handler
// rejects before touching the database or the per-account limit.
func badSignin(t *testing.T, s *apptest.Server, header http.Header) *apptest.Response {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}}
	for k, v := range header {
		h[k] = v
	}
	return send(t, s, http.MethodPost, signinPath, "{", h)
}

// wantLimited asserts the per-IP 429.
func wantLimited(t *testing.T, resp *apptest.Response, window int) {
	t.Helper()
	apptest.WantError(t, resp, http.StatusTooManyRequests, tooManyFromIP)
	after, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || after < 1 || after > window {
		t.Errorf("Retry-After %q, want 1..%d seconds", resp.Header.Get("Retry-After"), window)
	}
	if resp.Header.Get("RateLimit-Limit") == "" || resp.Header.Get("RateLimit-Reset") == "" {
		t.Errorf("RateLimit-* headers missing: %v", resp.Header)
	}
	if got := resp.Header.Get("RateLimit-Remaining"); got != "0" {
		t.Errorf("RateLimit-Remaining %q, want 0", got)
	}
}

func TestRateLimitPerIP(t *testing.T) {
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_MAX": "3", "RATE_LIMIT_WINDOW": "15m"})
	for i := range 3 {
		resp := badSignin(t, s, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d within the limit: %d, want 400; body %s", i+1, resp.StatusCode, resp.Body)
		}
		if got := resp.Header.Get("RateLimit-Limit"); got != "3" {
			t.Errorf("RateLimit-Limit %q, want 3", got)
		}
	}
	resp := badSignin(t, s, nil)
	wantLimited(t, resp, 15*60)
	if want := `{"status":"fail","message":"` + tooManyFromIP + `","code":"rate_limited"}`; strings.TrimSpace(string(resp.Body)) != want {
		t.Errorf("429 body %s, want %s", resp.Body, want)
	}
	wantSecurityHeaders(t, resp, false)

	// The health probe is exempt.
	if got := s.Do(t, http.MethodGet, healthPath, nil, ""); got.StatusCode != http.StatusOK {
		t.Errorf("health over the limit: %d, want 200", got.StatusCode)
	}
}

func TestRateLimitTrustedProxies(t *testing.T) {
	xff := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }

	t.Run("untrusted peer", func(t *testing.T) {
		s := apptest.Start(t, map[string]string{"RATE_LIMIT_MAX": "2", "TRUSTED_PROXIES": "10.0.0.0/8"})
		// Each request claims another address; all count against the peer.
		badSignin(t, s, xff("203.0.113.1"))
		badSignin(t, s, xff("203.0.113.2"))
		wantLimited(t, badSignin(t, s, xff("203.0.113.3")), 15*60)
	})

	t.Run("trusted proxy", func(t *testing.T) {
		s := apptest.Start(t, map[string]string{"RATE_LIMIT_MAX": "2", "TRUSTED_PROXIES": "127.0.0.0/8,::1"})
		for i := range 2 {
			if resp := badSignin(t, s, xff("203.0.113.1")); resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("client A request %d: %d, want 400", i+1, resp.StatusCode)
			}
		}
		wantLimited(t, badSignin(t, s, xff("203.0.113.1")), 15*60)
		// Another client behind the same proxy has a budget of its own.
		if resp := badSignin(t, s, xff("198.51.100.7, 127.0.0.1")); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("client B behind the proxy: %d, want 400 (own budget); body %s", resp.StatusCode, resp.Body)
		}
		found := false
		for _, l := range logLines(t, s) {
			if l["msg"] == "request" && l["ip"] == "198.51.100.7" {
				found = true
			}
		}
		if !found {
			t.Errorf("no request logged with ip 198.51.100.7:\n%s", s.Logs())
		}
	})
}

func TestJSONBodiesBlackBox(t *testing.T) {
	s := apptest.Start(t, nil)
	jsonType := http.Header{"Content-Type": {"application/json"}}
	big := `{"email":"a@example.com","password":"` + strings.Repeat("x", 11<<10) + `"}`
	tests := []struct {
		name, body string
		header     http.Header
		status     int
		message    string
	}{
		{"11 KB", big, jsonType, http.StatusRequestEntityTooLarge, "Request body too large"},
		{"malformed", `{"email":`, jsonType, http.StatusBadRequest, "Malformed JSON"},
		{"text/plain", `{"email":"a@example.com","password":"x"}`, http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType, ""},
		{"no content type", `{"email":"a@example.com","password":"x"}`, nil, http.StatusUnsupportedMediaType, ""},
		{"unknown field", `{"email":"a@example.com","password":"x","role":"admin"}`, jsonType, http.StatusBadRequest, ""},
		{"case variant", `{"EMAIL":"a@example.com","password":"x"}`, jsonType, http.StatusBadRequest, ""},
		{"trailing value", `{"email":"a@example.com","password":"x"} {}`, jsonType, http.StatusBadRequest, ""},
		{"trailing garbage", `{"email":"a@example.com","password":"x"}x`, jsonType, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apptest.WantError(t, send(t, s, http.MethodPost, signinPath, tt.body, tt.header), tt.status, tt.message)
		})
	}
}

func TestMetrics(t *testing.T) {
	s := apptest.Start(t, nil)
	s.Do(t, http.MethodGet, healthPath, nil, "")
	badSignin(t, s, nil)
	// Clients pick the method: made-up ones share one label value, so
	// that they cannot mint new series.
	for _, m := range []string{"FOO1", "FOO2"} {
		s.Do(t, m, healthPath, nil, "")
	}
	resp := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	body := string(resp.Body)
	if strings.Contains(body, "FOO1") || strings.Contains(body, "FOO2") {
		t.Error("/metrics has a label of a made-up method")
	}
	if !strings.Contains(body, `http_requests_total{method="OTHER",route="unmatched",status="405"} 2`) {
		t.Error("/metrics lacks the OTHER method count")
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/api/v1/healthcheck",status="200"} 1`,
		`http_requests_total{method="POST",route="/api/v1/user/signin",status="400"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/api/v1/healthcheck",`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
