package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// Shared by the accounts tests (accounts_*_test.go). Every response they
// read goes through acctCheckBody, so "no response ever shows a password
// hash, reset token or token version" is asserted on all of them.

const (
	acctPassword = "correct horse battery"
	acctSignUp   = "/api/v1/user/signup"
	acctSignIn   = "/api/v1/user/signin"
	acctSignOut  = "/api/v1/user/signout"
	acctProfile  = "/api/v1/user/profile"
	acctChangePW = "/api/v1/user/change-password"
	acctForgot   = "/api/v1/user/forgot-password"
	acctResetPW  = "/api/v1/user/reset-password/"
	acctAccount  = "/api/v1/user/account"

	acctForgotMessage = "If that email is registered, a reset link has been sent"
	acctBadReset      = "Invalid or expired reset token"
	acctTokenError    = "JWT token error"
	acctNotLoggedIn   = "You are not logged in"
	acctInvalidCreds  = "Invalid email or password"
)

// acctServer is a running service; its Mongo handle arranges what the API
// cannot (courses, expired tokens) and checks what it stored.
type acctServer struct {
	*apptest.Server
}

// acctStart starts the service on a fresh database with overrides.
func acctStart(t *testing.T, overrides map[string]string) *acctServer {
	t.Helper()
	s := apptest.Start(t, overrides)
	// No request of an accounts test may fail with a 5xx.
	t.Cleanup(func() {
		for line := range strings.Lines(s.Logs()) {
			if strings.Contains(line, `"msg":"request failed"`) {
				t.Errorf("a request failed on the server: %s", line)
			}
		}
	})
	return &acctServer{Server: s}
}

// call sends a request (body as for apptest.Server.NewRequest) with an
// optional session cookie and checks the response for secrets.
func (s *acctServer) call(t *testing.T, method, path string, body any, token string) *apptest.Response {
	t.Helper()
	return s.send(t, s.NewRequest(t, method, path, body).WithCookie(token))
}

// send sends a built request and checks the response for secrets.
func (s *acctServer) send(t *testing.T, req *apptest.Request) *apptest.Response {
	t.Helper()
	resp := req.Send(t)
	acctCheckBody(t, resp.Body)
	return resp
}

// acctUser is a signed-up user.
type acctUser struct {
	ID, Name, Email, Password, Token string
}

// signUp creates an account through the API and returns it signed in.
func (s *acctServer) signUp(t *testing.T, name, email, role string) acctUser {
	t.Helper()
	body := map[string]any{"name": name, "email": email, "password": acctPassword}
	if role != "" {
		body["role"] = role
	}
	resp := s.call(t, http.MethodPost, acctSignUp, body, "")
	m := wantOK(t, resp, http.StatusOK, "Account created successfully")
	u := apptest.Object(t, m, "user")
	return acctUser{ID: u["_id"].(string), Name: name, Email: u["email"].(string), Password: acctPassword, Token: m["token"].(string)}
}

// signIn signs in and returns the new session token.
func (s *acctServer) signIn(t *testing.T, email, password string) string {
	t.Helper()
	resp := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": email, "password": password}, "")
	m := wantOK(t, resp, http.StatusOK, "")
	return m["token"].(string)
}

// wantSession asserts that token is (or is not) accepted by a protected route.
func (s *acctServer) wantSession(t *testing.T, token string, valid bool) {
	t.Helper()
	resp := s.call(t, http.MethodGet, acctProfile, nil, token)
	if valid {
		wantOK(t, resp, http.StatusOK, "")
		return
	}
	apptest.WantError(t, resp, http.StatusUnauthorized, acctTokenError)
}

// userDoc reads the stored user with this email.
func (s *acctServer) userDoc(t *testing.T, email string) bson.M {
	t.Helper()
	var doc bson.M
	if err := s.Mongo.Collection("users").FindOne(context.Background(), bson.M{"email": email}).Decode(&doc); err != nil {
		t.Fatalf("find user %s: %v", email, err)
	}
	return doc
}

// acctSecretKeys are keys no response may have, at any depth.
var acctSecretKeys = map[string]bool{
	"password": true, "resetPasswordToken": true, "resetPasswordExpires": true, "tokenVersion": true, "tv": true,
}

// acctCheckBody fails the test if a response body shows a bcrypt hash or
// has a key naming a secret.
func acctCheckBody(t testing.TB, body []byte) {
	t.Helper()
	if err := acctSecretsIn(body); err != "" {
		t.Errorf("%s in response: %s", err, body)
	}
}

// acctSecretsIn says what secret a body shows, "" if none.
func acctSecretsIn(body []byte) string {
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		if bytes.Contains(body, []byte(prefix)) {
			return "bcrypt hash"
		}
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var walk func(v any) string
	walk = func(v any) string {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if acctSecretKeys[k] {
					return "key " + k
				}
				if s := walk(e); s != "" {
					return s
				}
			}
		case []any:
			for _, e := range v {
				if s := walk(e); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return walk(v)
}

// acctSetCookie parses the response's Set-Cookie header for the session
// cookie; it fails the test when there is not exactly one.
func acctSetCookie(t *testing.T, resp *apptest.Response) *http.Cookie {
	t.Helper()
	var found *http.Cookie
	for _, line := range resp.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		if c.Name == "token" {
			if found != nil {
				t.Fatalf("two token cookies: %v", resp.Header.Values("Set-Cookie"))
			}
			found = c
		}
	}
	if found == nil {
		t.Fatalf("no token cookie set; headers %v", resp.Header)
	}
	return found
}

// acctWantCleared asserts that the response deletes the session cookie with
// the attributes it was set with.
func acctWantCleared(t *testing.T, resp *apptest.Response, secure bool) {
	t.Helper()
	c := acctSetCookie(t, resp)
	if c.Value != "" || c.MaxAge >= 0 || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != secure {
		t.Errorf("cleared cookie %q, want empty, Max-Age=0, Path=/, HttpOnly, SameSite=Strict, Secure=%v", c.String(), secure)
	}
}

// acctResetLinks returns every reset link the service logged for email,
// in order.
func acctResetLinks(s *apptest.Server, email string) []string {
	var links []string
	for line := range strings.Lines(s.Logs()) {
		var rec struct {
			To   string `json:"to"`
			Link string `json:"link"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Link != "" && rec.To == email {
			links = append(links, rec.Link)
		}
	}
	return links
}

// acctWaitResetLink waits for the (n+1)th reset link logged for email;
// mail is sent off the request path.
func acctWaitResetLink(t *testing.T, s *apptest.Server, email string, n int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if links := acctResetLinks(s, email); len(links) > n {
			return links[n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reset link #%d logged for %s; logs:\n%s", n+1, email, s.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// acctTokenOf returns the reset token at the end of a link.
func acctTokenOf(t *testing.T, link, prefix string) string {
	t.Helper()
	tok, ok := strings.CutPrefix(link, prefix)
	if !ok || tok == "" || strings.ContainsAny(tok, "/?#") {
		t.Fatalf("reset link %q does not have the form %s<token>", link, prefix)
	}
	return tok
}
