package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// FuzzSignUpSignIn posts arbitrary bodies to sign-up and sign-in: the
// service never panics, never answers 5xx, always answers a JSON object and
// never shows a secret. `go test -fuzz FuzzSignUpSignIn ./internal/httpapi/`
// runs it longer.
func FuzzSignUpSignIn(f *testing.F) {
	s := apptest.Start(f, map[string]string{"AUTH_RATE_LIMIT_MAX": "1000000000"})
	pw := `"` + acctPassword + `"`
	for _, seed := range []string{
		`{"name":"Ada","email":"ada@example.com","password":` + pw + `}`,
		`{"name":"Ada","email":"ada@example.com","password":` + pw + `,"role":"instructor"}`,
		`{"email":"ada@example.com","password":` + pw + `}`,
		`{"name":"Ada","email":"ada@example.com","password":` + pw + `,"role":"admin"}`,
		`{"name":"Ada","email":"ada@example.com","password":` + pw + `,"ROLE":"admin"}`,
		`{"email":{"$ne":null},"password":{"$ne":null}}`,
		`{"email":{"$regex":".*"},"password":"x"}`,
		`{"email":"ada@example.com","password":"` + strings.Repeat("a", 72) + `b"}`,
		`{"email":"ada@example.com","email":"bob@example.com","password":` + pw + `}`,
		`{"name":"\u0000\u202e","email":"a\u0000@example.com","password":"\ud800\udc00xxxxxxxx"}`,
		`{"name":"` + strings.Repeat("é", 60) + `","email":"` + strings.Repeat("a", 300) + `@example.com","password":1e999}`,
		`{"__proto__":{"role":"admin"}}`,
		`{"name":null,"email":null,"password":null,"role":null}`,
		`{"name":["a"],"email":true,"password":12345678}`,
		strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		`{"email":"ada@example.com"} {"password":"x"}`,
		`{"email":"ada@example.com",}`,
		`[]`, `null`, `""`, `0`, ``, "\xff\xfe{}", "\x00",
		`{"password":"` + strings.Repeat("p", 11<<10) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{acctSignUp, acctSignIn} {
			resp := s.NewRequest(t, http.MethodPost, path, body).WithHeader("Content-Type", "application/json").Send(t)
			if resp.StatusCode >= 500 {
				t.Fatalf("POST %s %q: status %d, body %s", path, body, resp.StatusCode, resp.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(resp.Body, &m); err != nil {
				t.Fatalf("POST %s %q: body is not a JSON object: %s", path, body, resp.Body)
			}
			if secret := acctSecretsIn(resp.Body); secret != "" {
				t.Fatalf("POST %s %q: %s in %s", path, body, secret, resp.Body)
			}
			switch resp.StatusCode {
			case http.StatusOK:
				if m["success"] != true || m["token"] == "" {
					t.Fatalf("POST %s %q: 200 without a session: %s", path, body, resp.Body)
				}
				if u, _ := m["user"].(map[string]any); u == nil || u["role"] == "admin" {
					t.Fatalf("POST %s %q: user %v", path, body, m["user"])
				}
			case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
				if m["status"] != "fail" || m["message"] == "" {
					t.Fatalf("POST %s %q: body %s", path, body, resp.Body)
				}
			default:
				t.Fatalf("POST %s %q: unexpected status %d, body %s", path, body, resp.StatusCode, resp.Body)
			}
		}
	})
}
