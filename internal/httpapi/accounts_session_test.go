package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lms-backend/lms/internal/app/apptest"
)

func TestAccountsCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      map[string]string
		secure   bool
		sameSite http.SameSite
		maxAge   int
	}{
		{"defaults in test", nil, false, http.SameSiteStrictMode, 24 * 3600},
		{"COOKIE_SECURE=true", map[string]string{"COOKIE_SECURE": "true"}, true, http.SameSiteStrictMode, 24 * 3600},
		{"Lax and 2h", map[string]string{"COOKIE_SAMESITE": "Lax", "JWT_EXPIRES_IN": "2h"}, false, http.SameSiteLaxMode, 2 * 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := acctStart(t, tc.env)
			check := func(what string, resp *apptest.Response) {
				t.Helper()
				c := acctSetCookie(t, resp)
				if c.Path != "/" || !c.HttpOnly || c.SameSite != tc.sameSite || c.Secure != tc.secure || c.Value == "" {
					t.Errorf("%s: cookie %q, want Path=/ HttpOnly SameSite=%v Secure=%v", what, c.String(), tc.sameSite, tc.secure)
				}
				if c.MaxAge < tc.maxAge-5 || c.MaxAge > tc.maxAge {
					t.Errorf("%s: Max-Age %d, want about %d", what, c.MaxAge, tc.maxAge)
				}
				if d := time.Until(c.Expires); d < time.Duration(tc.maxAge-5)*time.Second || d > time.Duration(tc.maxAge+1)*time.Second {
					t.Errorf("%s: Expires in %v, want about %ds", what, d, tc.maxAge)
				}
				line := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
				if !strings.Contains(line, "HttpOnly") || strings.Contains(line, "Domain=") {
					t.Errorf("%s: Set-Cookie %q", what, line)
				}
			}
			resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{"name": "Ada", "email": "ada@example.com", "password": acctPassword}, "")
			check("sign-up", resp)
			token := resp.JSON(t)["token"].(string)
			resp = s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": acctPassword}, "")
			check("sign-in", resp)
			resp = s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": acctPassword, "newPassword": "new password 1"}, token)
			check("change-password", resp)

			resp = s.call(t, http.MethodPost, acctSignOut, nil, acctSetCookie(t, resp).Value)
			c := acctSetCookie(t, resp)
			if c.Value != "" || c.MaxAge >= 0 || c.Path != "/" || !c.HttpOnly || c.SameSite != tc.sameSite || c.Secure != tc.secure {
				t.Errorf("sign-out: cookie %q, want it cleared with the same attributes", c.String())
			}
		})
	}
}

func TestAccountsIssuedToken(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	secret := []byte(apptest.Env(t, nil)["SECRET_KEY"])
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(ada.Token, claims, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil || !tok.Valid {
		t.Fatalf("issued token does not verify: %v", err)
	}
	if claims["userId"] != ada.ID || claims["tv"] != float64(0) {
		t.Errorf("claims %v, want userId %s and tv 0", claims, ada.ID)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp == nil || iat == nil || exp.Sub(iat.Time) != 24*time.Hour {
		t.Errorf("iat %v, exp %v: want a 24h lifetime", iat, exp)
	}
}

// acctForge signs claims with method and key.
func acctForge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("forge token: %v", err)
	}
	return tok
}

func TestAccountsBadTokens(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	bob := s.signUp(t, "Bob", "bob@example.com", "instructor")
	secret := []byte(apptest.Env(t, nil)["SECRET_KEY"])
	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"userId": ada.ID, "tv": 0, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(change func(jwt.MapClaims)) jwt.MapClaims {
		c := valid()
		change(c)
		return c
	}

	// The forging works: a well-made token is accepted.
	s.wantSession(t, acctForge(t, jwt.SigningMethodHS256, secret, valid()), true)

	parts := strings.Split(ada.Token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var pc map[string]any
	if err := json.Unmarshal(payload, &pc); err != nil {
		t.Fatal(err)
	}
	pc["userId"] = bob.ID
	swapped, _ := json.Marshal(pc)
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}

	for name, token := range map[string]string{
		"signature changed": parts[0] + "." + parts[1] + "." + string(sig),
		"payload changed":   parts[0] + "." + base64.RawURLEncoding.EncodeToString(swapped) + "." + parts[2],
		"signature removed": parts[0] + "." + parts[1] + ".",
		"alg none":          acctForge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid()),
		"HS512":             acctForge(t, jwt.SigningMethodHS512, secret, valid()),
		"HS384":             acctForge(t, jwt.SigningMethodHS384, secret, valid()),
		"other secret":      acctForge(t, jwt.SigningMethodHS256, []byte("another-secret-key-0123456789abcdef0123"), valid()),
		"expired": acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) {
			c["iat"], c["exp"] = now.Add(-25*time.Hour).Unix(), now.Add(-time.Minute).Unix()
		})),
		"no exp":                 acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { delete(c, "exp") })),
		"not yet valid":          acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })),
		"no tv":                  acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { delete(c, "tv") })),
		"future tv":              acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { c["tv"] = 1 })),
		"negative tv":            acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { c["tv"] = -1 })),
		"no userId":              acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { delete(c, "userId") })),
		"userId not an ObjectId": acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { c["userId"] = `{"$ne":null}` })),
		"unknown user":           acctForge(t, jwt.SigningMethodHS256, secret, with(func(c jwt.MapClaims) { c["userId"] = "0123456789abcdef01234567" })),
		"garbage":                "not-a-jwt",
		"three dots":             "a.b.c",
	} {
		t.Run(name, func(t *testing.T) {
			s.wantSession(t, token, false)
		})
	}

	t.Run("no cookie", func(t *testing.T) {
		for _, req := range []*apptest.Request{
			s.NewRequest(t, http.MethodGet, acctProfile, nil),
			s.NewRequest(t, http.MethodGet, acctProfile, nil).WithHeader("Authorization", "Bearer "+ada.Token),
			s.NewRequest(t, http.MethodGet, acctProfile, nil).WithHeader("Cookie", "token="),
			s.NewRequest(t, http.MethodGet, acctProfile, nil).WithHeader("Cookie", "jwt="+ada.Token),
		} {
			apptest.WantError(t, s.send(t, req), http.StatusUnauthorized, acctNotLoggedIn)
		}
		for _, r := range []struct{ method, path string }{
			{http.MethodPatch, acctProfile}, {http.MethodPatch, acctChangePW}, {http.MethodDelete, acctAccount},
		} {
			apptest.WantError(t, s.call(t, r.method, r.path, map[string]string{}, ""), http.StatusUnauthorized, acctNotLoggedIn)
		}
	})
	s.wantSession(t, ada.Token, true)
}

func TestAccountsSignOut(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	// Another session of the same user, issued earlier.
	now := time.Now()
	second := acctForge(t, jwt.SigningMethodHS256, []byte(apptest.Env(t, nil)["SECRET_KEY"]),
		jwt.MapClaims{"userId": ada.ID, "tv": 0, "iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()})
	s.wantSession(t, second, true)

	resp := s.call(t, http.MethodPost, acctSignOut, nil, ada.Token)
	wantOK(t, resp, http.StatusOK, "Signed out successfully")
	acctWantCleared(t, resp, false)
	// Replaying the token, or any other of the user's, is refused.
	s.wantSession(t, ada.Token, false)
	s.wantSession(t, second, false)
	// Signing out again with the revoked cookie, or none, still answers 200.
	for _, token := range []string{ada.Token, "", "garbage"} {
		resp := s.call(t, http.MethodPost, acctSignOut, nil, token)
		wantOK(t, resp, http.StatusOK, "Signed out successfully")
		acctWantCleared(t, resp, false)
	}
	// A fresh sign-in works again.
	s.wantSession(t, s.signIn(t, "ada@example.com", acctPassword), true)
}
