package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// Every /api answer, success or error, tells browsers and proxies not to
// store it; media and metrics outside /api keep their own policy.
func TestAPIResponsesAreNoStore(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	signin := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": acctPassword}, "")
	for name, resp := range map[string]*apptest.Response{
		"sign-in":        signin,
		"profile":        s.call(t, http.MethodGet, acctProfile, nil, ada.Token),
		"profile, 401":   s.call(t, http.MethodGet, acctProfile, nil, ""),
		"health":         s.Do(t, http.MethodGet, healthPath, nil, ""),
		"unknown route":  s.Do(t, http.MethodGet, "/api/v1/nope", nil, ""),
		"malformed JSON": badSignin(t, s.Server, nil),
		"purchases":      s.call(t, http.MethodGet, "/api/v1/payments/purchased-courses", nil, ada.Token),
	} {
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", name, resp.StatusCode, got)
		}
	}
	if signin.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", signin.StatusCode, signin.Body)
	}
}

// Headers over the API's limit are refused with the JSON error body every
// other error has (net/http's own 431 is plain text).
func TestHeadersTooLargeAnswerJSON(t *testing.T) {
	s := apptest.Start(t, nil)
	for _, path := range []string{healthPath, signinPath, "/metrics"} {
		resp := send(t, s, http.MethodGet, path, nil, http.Header{"X-Padding": {strings.Repeat("p", 40<<10)}})
		apptest.WantError(t, resp, http.StatusRequestHeaderFieldsTooLarge, "Request header fields too large")
		wantSecurityHeaders(t, resp, false)
	}
	// Ordinary large headers (a few KB of cookies) pass.
	resp := send(t, s, http.MethodGet, healthPath, nil, http.Header{"X-Padding": {strings.Repeat("p", 8<<10)}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("8 KB header: %d, want 200", resp.StatusCode)
	}
}

// IPv6 clients are limited per /64: a client that owns a /64 cannot get a
// fresh budget by changing its address, and another /64 has its own.
func TestRateLimitGroupsIPv6By64(t *testing.T) {
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_MAX": "2", "TRUSTED_PROXIES": "127.0.0.0/8,::1"})
	xff := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"} {
		if resp := badSignin(t, s, xff(ip)); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s within the limit: %d", ip, resp.StatusCode)
		}
	}
	wantLimited(t, badSignin(t, s, xff("2001:db8:1:2:abcd::9")), 15*60)
	if resp := badSignin(t, s, xff("2001:db8:1:3::1")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("another /64: %d, want 400 (own budget)", resp.StatusCode)
	}
	// IPv4 clients keep a budget per address.
	for range 2 {
		badSignin(t, s, xff("203.0.113.1"))
	}
	if resp := badSignin(t, s, xff("203.0.113.2")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("neighbouring IPv4 address: %d, want 400 (own budget)", resp.StatusCode)
	}
}

// A CLIENT_URL spelt in mixed case with a trailing slash still lets the
// SPA's origin (as browsers send it) read and write.
func TestMixedCaseClientURLAllowsWrites(t *testing.T) {
	s := apptest.Start(t, map[string]string{"CLIENT_URL": "HTTP://SPA.Test/"})
	resp := send(t, s, http.MethodPost, signinPath, "{", http.Header{
		"Content-Type": {"application/json"}, "Origin": {apptest.ClientOrigin}, "Sec-Fetch-Site": {"cross-site"},
	})
	apptest.WantError(t, resp, http.StatusBadRequest, "Malformed JSON") // reached the handler
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != apptest.ClientOrigin {
		t.Errorf("Access-Control-Allow-Origin %q, want %q", got, apptest.ClientOrigin)
	}
	resp = send(t, s, http.MethodPost, signinPath, "{", http.Header{"Content-Type": {"application/json"}, "Origin": {foreignOrigin}})
	apptest.WantError(t, resp, http.StatusForbidden, "Cross-origin request refused")
}
