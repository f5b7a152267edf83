package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// The deployment the README describes for a SPA on another site:
// CLIENT_URL names it, COOKIE_SAMESITE=None with COOKIE_SECURE=true lets
// the browser send the session cookie on its cross-site requests, CORS
// allows it with credentials, and other origins are still refused.
func TestSPAOnAnotherSite(t *testing.T) {
	const spa = "https://app.other-site.example"
	s := acctStart(t, map[string]string{"CLIENT_URL": spa + "/", "COOKIE_SAMESITE": "None", "COOKIE_SECURE": "true"})
	fromSPA := func(method, path string, body any, token string) *apptest.Response {
		t.Helper()
		req := s.NewRequest(t, method, path, body).WithCookie(token).
			WithHeader("Origin", spa).WithHeader("Sec-Fetch-Site", "cross-site")
		resp := s.send(t, req)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != spa {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", method, path, got, spa)
		}
		if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
			t.Errorf("%s %s: Access-Control-Allow-Credentials %q, want true", method, path, got)
		}
		return resp
	}

	preflight := send(t, s.Server, http.MethodOptions, acctSignUp, nil, http.Header{
		"Origin": {spa}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"Content-Type"},
	})
	if preflight.StatusCode != http.StatusNoContent || preflight.Header.Get("Access-Control-Allow-Origin") != spa {
		t.Fatalf("preflight: %d, Access-Control-Allow-Origin %q", preflight.StatusCode, preflight.Header.Get("Access-Control-Allow-Origin"))
	}

	resp := fromSPA(http.MethodPost, acctSignUp, map[string]string{"name": "Ada", "email": "ada@example.com", "password": acctPassword}, "")
	wantOK(t, resp, http.StatusOK, "Account created successfully")
	c := acctSetCookie(t, resp)
	if c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.HttpOnly {
		t.Fatalf("session cookie %q, want SameSite=None; Secure; HttpOnly", c.String())
	}
	if resp := fromSPA(http.MethodGet, acctProfile, nil, c.Value); resp.StatusCode != http.StatusOK {
		t.Errorf("profile from the SPA: %d %s", resp.StatusCode, resp.Body)
	}

	// Another site with the same cookie can neither write nor read.
	req := s.NewRequest(t, http.MethodPatch, acctProfile, map[string]string{"name": "Mallory"}).WithCookie(c.Value).
		WithHeader("Origin", "https://evil.example").WithHeader("Sec-Fetch-Site", "cross-site")
	evil := s.send(t, req)
	apptest.WantError(t, evil, http.StatusForbidden, "Cross-origin request refused")
	read := send(t, s.Server, http.MethodGet, acctProfile, nil, http.Header{"Origin": {"https://evil.example"}, "Cookie": {"token=" + c.Value}})
	if got := read.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("a foreign origin may read the profile: Access-Control-Allow-Origin %q", got)
	}

	resp = fromSPA(http.MethodPost, acctSignOut, nil, c.Value)
	wantOK(t, resp, http.StatusOK, "Signed out successfully")
	if cleared := acctSetCookie(t, resp); cleared.Value != "" || cleared.SameSite != http.SameSiteNoneMode || !cleared.Secure {
		t.Errorf("sign-out cookie %q, want it cleared with SameSite=None; Secure", cleared.String())
	}
}
