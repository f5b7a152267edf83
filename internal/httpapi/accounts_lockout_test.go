package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

const acctTooMany = "Too many attempts for this account, please try later"

// signInFrom signs in as email from the client address ip (the test server
// trusts the loopback proxy's X-Forwarded-For).
func (s *acctServer) signInFrom(t *testing.T, ip, email, password string) *apptest.Response {
	t.Helper()
	req := s.NewRequest(t, http.MethodPost, acctSignIn, map[string]string{"email": email, "password": password}).
		WithHeader("X-Forwarded-For", ip)
	return s.send(t, req)
}

// Wrong passwords from one address lock that address out of the account;
// the owner signing in from another address is not affected, and signing
// in successfully spends nothing.
func TestSignInLockoutIsPerClient(t *testing.T) {
	s := acctStart(t, map[string]string{"AUTH_RATE_LIMIT_MAX": "3", "TRUSTED_PROXIES": "127.0.0.0/8,::1"})
	s.signUp(t, "Ada", "ada@example.com", "")
	const attacker, owner = "203.0.113.66", "198.51.100.7"
	for range 3 {
		apptest.WantError(t, s.signInFrom(t, attacker, "ada@example.com", "wrong password"), http.StatusUnauthorized, acctInvalidCreds)
	}
	apptest.WantError(t, s.signInFrom(t, attacker, "Ada@Example.com", acctPassword), http.StatusTooManyRequests, acctTooMany)
	// The attacker's failures do not block the owner elsewhere, however
	// often the owner signs in.
	for i := range 5 {
		if resp := s.signInFrom(t, owner, "ada@example.com", acctPassword); resp.StatusCode != http.StatusOK {
			t.Fatalf("owner's sign-in %d from another address: %d %s", i+1, resp.StatusCode, resp.Body)
		}
	}
	// The owner's own typos count only for the owner's address.
	for range 2 {
		apptest.WantError(t, s.signInFrom(t, owner, "ada@example.com", "typo password"), http.StatusUnauthorized, acctInvalidCreds)
	}
	if resp := s.signInFrom(t, owner, "ada@example.com", acctPassword); resp.StatusCode != http.StatusOK {
		t.Fatalf("owner after two typos: %d %s", resp.StatusCode, resp.Body)
	}
	// Validation errors are not password guesses.
	for range 4 {
		wantValidation(t, s.signInFrom(t, "192.0.2.9", "ada@example.com", ""), "password")
	}
	if resp := s.signInFrom(t, "192.0.2.9", "ada@example.com", acctPassword); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in after validation errors: %d %s", resp.StatusCode, resp.Body)
	}
}

// One address trying many emails (password spraying) is stopped by the
// per-client limit of the auth routes; other addresses are not.
func TestAuthRoutesLimitedPerClientAcrossEmails(t *testing.T) {
	s := acctStart(t, map[string]string{"AUTH_IP_RATE_LIMIT_MAX": "4", "TRUSTED_PROXIES": "127.0.0.0/8,::1"})
	s.signUp(t, "Ada", "ada@example.com", "")
	const sprayer = "203.0.113.66"
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		apptest.WantError(t, s.signInFrom(t, sprayer, email, "Summer2024!!"), http.StatusUnauthorized, acctInvalidCreds)
	}
	forgot := s.NewRequest(t, http.MethodPost, acctForgot, map[string]string{"email": "d@example.com"}).WithHeader("X-Forwarded-For", sprayer)
	wantOK(t, s.send(t, forgot), http.StatusOK, acctForgotMessage)
	resp := s.signInFrom(t, sprayer, "e@example.com", "Summer2024!!")
	apptest.WantError(t, resp, http.StatusTooManyRequests, tooManyFromIP)
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	reset := s.NewRequest(t, http.MethodPost, acctResetPW+"guess", map[string]string{"password": "new password 1"}).WithHeader("X-Forwarded-For", sprayer)
	apptest.WantError(t, s.send(t, reset), http.StatusTooManyRequests, tooManyFromIP)
	// Another client is not affected, and successful sign-ins do not
	// spend the budget.
	for range 6 {
		if resp := s.signInFrom(t, "198.51.100.7", "ada@example.com", acctPassword); resp.StatusCode != http.StatusOK {
			t.Fatalf("another client: %d %s", resp.StatusCode, resp.Body)
		}
	}
}
