package httpapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
)

var acctHexID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestAccountsSignUp(t *testing.T) {
	s := acctStart(t, nil)
	before := time.Now().Add(-time.Second)
	resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{
		"name": "  Ada Lovelace ", "email": "  Ada@Example.COM ", "password": acctPassword,
	}, "")
	m := wantOK(t, resp, http.StatusOK, "Account created successfully")
	if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, []string{"message", "success", "token", "user"}) {
		t.Errorf("auth envelope keys %v", got)
	}
	u := apptest.Object(t, m, "user")
	wantUserKeys := []string{"_id", "avatar", "bio", "createdAt", "email", "enrolledCourses", "lastActive", "name", "role", "updatedAt"}
	if keys := slices.Sorted(maps.Keys(u)); !slices.Equal(keys, wantUserKeys) {
		t.Errorf("user keys %v, want %v", keys, wantUserKeys)
	}
	if id, _ := u["_id"].(string); !acctHexID.MatchString(id) {
		t.Errorf("_id %v is not an ObjectId", u["_id"])
	}
	if u["name"] != "Ada Lovelace" || u["email"] != "ada@example.com" || u["role"] != "student" || u["avatar"] != "" || u["bio"] != "" {
		t.Errorf("user %v: want trimmed name, trimmed lowercase email, role student, no avatar or bio", u)
	}
	if ec, ok := u["enrolledCourses"].([]any); !ok || len(ec) != 0 {
		t.Errorf("enrolledCourses = %v, want []", u["enrolledCourses"])
	}
	for _, k := range []string{"createdAt", "updatedAt", "lastActive"} {
		ts, err := time.Parse(time.RFC3339Nano, u[k].(string))
		if err != nil || ts.Before(before) || ts.After(time.Now().Add(time.Second)) || !strings.HasSuffix(u[k].(string), "Z") {
			t.Errorf("%s = %v, want a UTC RFC 3339 time of now", k, u[k])
		}
	}
	token, _ := m["token"].(string)
	if c := acctSetCookie(t, resp); token == "" || c.Value != token {
		t.Errorf("cookie value %q, body token %q: want the same JWT", c.Value, token)
	}
	s.wantSession(t, token, true)

	// Stored normalised, with a bcrypt hash of the given cost, never the password.
	doc := s.userDoc(t, "ada@example.com")
	if pw, _ := doc["password"].(string); !strings.HasPrefix(pw, "$2a$04$") || strings.Contains(pw, acctPassword) {
		t.Errorf("stored password %q, want a bcrypt hash of cost 4", pw)
	}

	t.Run("instructor", func(t *testing.T) {
		resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{
			"name": "Grace", "email": "grace@example.com", "password": acctPassword, "role": "instructor",
		}, "")
		if u := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Account created successfully"), "user"); u["role"] != "instructor" {
			t.Errorf("role %v, want instructor", u["role"])
		}
	})

	t.Run("taken email in any case", func(t *testing.T) {
		for _, email := range []string{"ada@example.com", "ADA@example.com", " ada@EXAMPLE.com"} {
			resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{"name": "Other", "email": email, "password": acctPassword}, "")
			apptest.WantError(t, resp, http.StatusBadRequest, "User already exists with this email")
			if resp.Header.Get("Set-Cookie") != "" {
				t.Errorf("a failed sign-up set a cookie: %v", resp.Header.Values("Set-Cookie"))
			}
		}
	})
}

func TestAccountsSignUpValidation(t *testing.T) {
	s := acctStart(t, nil)
	long := strings.Repeat("x", 51)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"all at once", map[string]any{"name": "A", "email": "nope", "password": "short"}, []string{"name", "email", "password"}},
		{"empty object", map[string]any{}, []string{"name", "email", "password"}},
		{"name too long", map[string]any{"name": long, "email": "a@example.com", "password": acctPassword}, []string{"name"}},
		{"name only spaces", map[string]any{"name": "     ", "email": "a@example.com", "password": acctPassword}, []string{"name"}},
		{"email with display name", map[string]any{"name": "Al", "email": "Al <a@example.com>", "password": acctPassword}, []string{"email"}},
		{"email without domain dot", map[string]any{"name": "Al", "email": "a@localhost", "password": acctPassword}, []string{"email"}},
		{"password 7 bytes", map[string]any{"name": "Al", "email": "a@example.com", "password": "1234567"}, []string{"password"}},
		{"password 73 bytes", map[string]any{"name": "Al", "email": "a@example.com", "password": strings.Repeat("p", 73)}, []string{"password"}},
		{"password 73 bytes of 2-byte runes", map[string]any{"name": "Al", "email": "a@example.com", "password": strings.Repeat("é", 36) + "x"}, []string{"password"}},
		{"name is a number", map[string]any{"name": 42, "email": "a@example.com", "password": acctPassword}, []string{"name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantValidation(t, s.call(t, http.MethodPost, acctSignUp, tc.body, ""), tc.fields...)
		})
	}
	if n := s.Count(t, "users", nil); n != 0 {
		t.Errorf("%d users stored by invalid sign-ups", n)
	}

	t.Run("role", func(t *testing.T) {
		for _, role := range []string{"admin", "Admin", "superuser", "STUDENT", " student"} {
			resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{"name": "Al", "email": "role@example.com", "password": acctPassword, "role": role}, "")
			apptest.WantError(t, resp, http.StatusBadRequest, "Please select a valid role")
		}
		for _, body := range []string{
			`{"name":"Al","email":"role@example.com","password":"` + acctPassword + `","role":["admin"]}`,
			`{"name":"Al","email":"role@example.com","password":"` + acctPassword + `","role":{"$ne":"student"}}`,
		} {
			resp := s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, body).WithHeader("Content-Type", "application/json"))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("role %s: status %d, want 400; body %s", body, resp.StatusCode, resp.Body)
			}
		}
		if n := s.Count(t, "users", nil); n != 0 {
			t.Errorf("%d users stored with a bad role", n)
		}
	})

	t.Run("case-variant field names cannot set a role", func(t *testing.T) {
		for _, key := range []string{"ROLE", "Role", "rOlE"} {
			body := `{"name":"Al","email":"variant@example.com","password":"` + acctPassword + `","` + key + `":"admin"}`
			resp := s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, body).WithHeader("Content-Type", "application/json"))
			apptest.WantError(t, resp, http.StatusBadRequest, `Unknown field "`+key+`"`)
		}
		// Even alongside a valid lowercase role, and for other fields.
		for _, body := range []string{
			`{"name":"Al","email":"variant@example.com","password":"` + acctPassword + `","role":"student","ROLE":"admin"}`,
			`{"NAME":"Al","email":"variant@example.com","password":"` + acctPassword + `"}`,
			`{"name":"Al","email":"variant@example.com","password":"` + acctPassword + `","tokenVersion":5}`,
			`{"name":"Al","email":"variant@example.com","password":"` + acctPassword + `","isAdmin":true}`,
		} {
			resp := s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, body).WithHeader("Content-Type", "application/json"))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", body, resp.StatusCode)
			}
		}
		if n := s.Count(t, "users", nil); n != 0 {
			t.Errorf("%d users stored", n)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		ok := `{"name":"Al","email":"req@example.com","password":"` + acctPassword + `"}`
		resp := s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, ok).WithHeader("Content-Type", "text/plain"))
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("text/plain: status %d, want 415", resp.StatusCode)
		}
		resp = s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, `{"name":`).WithHeader("Content-Type", "application/json"))
		apptest.WantError(t, resp, http.StatusBadRequest, "Malformed JSON")
		resp = s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, ok+ok).WithHeader("Content-Type", "application/json"))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("two values: status %d, want 400", resp.StatusCode)
		}
		big := `{"name":"Al","email":"req@example.com","password":"` + strings.Repeat("p", 11<<10) + `"}`
		resp = s.send(t, s.NewRequest(t, http.MethodPost, acctSignUp, big).WithHeader("Content-Type", "application/json"))
		apptest.WantError(t, resp, http.StatusRequestEntityTooLarge, "Request body too large")
		if n := s.Count(t, "users", nil); n != 0 {
			t.Errorf("%d users stored", n)
		}
	})
}

func TestAccountsSignIn(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	stored := s.userDoc(t, "ada@example.com")["lastActive"].(primitive.DateTime).Time()
	time.Sleep(5 * time.Millisecond)

	resp := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "  ADA@example.com ", "password": acctPassword}, "")
	m := wantOK(t, resp, http.StatusOK, "Welcome back Ada")
	u := apptest.Object(t, m, "user")
	if u["_id"] != ada.ID || u["email"] != "ada@example.com" || u["role"] != "student" {
		t.Errorf("user %v", u)
	}
	token, _ := m["token"].(string)
	if c := acctSetCookie(t, resp); c.Value != token || token == "" {
		t.Errorf("cookie %q, body token %q", c.Value, token)
	}
	s.wantSession(t, token, true)
	// lastActive moves on sign-in, in the store and in the answer.
	now := s.userDoc(t, "ada@example.com")["lastActive"].(primitive.DateTime).Time()
	if !now.After(stored) {
		t.Errorf("lastActive %v not after sign-up's %v", now, stored)
	}
	if la, _ := time.Parse(time.RFC3339Nano, u["lastActive"].(string)); !la.Equal(now) {
		t.Errorf("answer's lastActive %v, stored %v", u["lastActive"], now)
	}

	t.Run("wrong password and unknown email answer alike", func(t *testing.T) {
		wrong := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": "wrong password"}, "")
		unknown := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "nobody@example.com", "password": "wrong password"}, "")
		apptest.WantError(t, wrong, http.StatusUnauthorized, acctInvalidCreds)
		apptest.WantError(t, unknown, http.StatusUnauthorized, acctInvalidCreds)
		if string(wrong.Body) != string(unknown.Body) {
			t.Errorf("bodies differ: %s vs %s", wrong.Body, unknown.Body)
		}
		for _, r := range []*apptest.Response{wrong, unknown} {
			if r.Header.Get("Set-Cookie") != "" {
				t.Errorf("failed sign-in set a cookie")
			}
		}
	})

	t.Run("validation", func(t *testing.T) {
		wantValidation(t, s.call(t, http.MethodPost, acctSignIn, map[string]string{}, ""), "email", "password")
		wantValidation(t, s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com"}, ""), "password")
	})

	t.Run("unknown fields", func(t *testing.T) {
		for _, body := range []string{
			`{"email":"ada@example.com","password":"` + acctPassword + `","role":"admin"}`,
			`{"EMAIL":"ada@example.com","password":"` + acctPassword + `"}`,
		} {
			resp := s.send(t, s.NewRequest(t, http.MethodPost, acctSignIn, body).WithHeader("Content-Type", "application/json"))
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", body, resp.StatusCode)
			}
		}
	})
}

func TestAccountsPasswordLength(t *testing.T) {
	s := acctStart(t, nil)
	pw72 := strings.Repeat("a", 36) + strings.Repeat("é", 18) // 72 bytes, 54 runes
	if len(pw72) != 72 {
		t.Fatalf("setup: %d bytes", len(pw72))
	}
	resp := s.call(t, http.MethodPost, acctSignUp, map[string]string{"name": "Max", "email": "max@example.com", "password": pw72}, "")
	wantOK(t, resp, http.StatusOK, "Account created successfully")
	s.signIn(t, "max@example.com", pw72)

	// bcrypt would compare only the first 72 bytes; the service must not.
	for _, extra := range []string{"x", "é", strings.Repeat("y", 100)} {
		resp = s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "max@example.com", "password": pw72 + extra}, "")
		apptest.WantError(t, resp, http.StatusUnauthorized, acctInvalidCreds)
	}
	// The same for an unknown email, so length does not tell accounts apart.
	resp = s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "nobody@example.com", "password": pw72 + "x"}, "")
	apptest.WantError(t, resp, http.StatusUnauthorized, acctInvalidCreds)

	resp = s.call(t, http.MethodPost, acctSignUp, map[string]string{"name": "Max", "email": "max2@example.com", "password": pw72 + "x"}, "")
	wantValidation(t, resp, "password")
}

func TestAccountsOperatorInjection(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	for _, tc := range []struct {
		path, body, token string
	}{
		{acctSignIn, `{"email":{"$ne":null},"password":"` + acctPassword + `"}`, ""},
		{acctSignIn, `{"email":{"$gt":""},"password":{"$ne":null}}`, ""},
		{acctSignIn, `{"email":"ada@example.com","password":{"$ne":null}}`, ""},
		{acctSignIn, `{"email":{"$regex":".*"},"password":"` + acctPassword + `"}`, ""},
		{acctSignIn, `{"email":["ada@example.com"],"password":"` + acctPassword + `"}`, ""},
		{acctSignUp, `{"name":"Eve","email":{"$ne":null},"password":"` + acctPassword + `"}`, ""},
		{acctForgot, `{"email":{"$ne":null}}`, ""},
		{acctForgot, `{"email":{"$regex":"^ada"}}`, ""},
		{acctResetPW + "x", `{"password":{"$ne":null}}`, ""},
		{acctAccount, `{"password":{"$ne":null}}`, ada.Token},
		{acctChangePW, `{"currentPassword":{"$ne":null},"newPassword":"new password 1"}`, ada.Token},
	} {
		method := http.MethodPost
		switch tc.path {
		case acctAccount:
			method = http.MethodDelete
		case acctChangePW:
			method = http.MethodPatch
		}
		resp := s.send(t, s.NewRequest(t, method, tc.path, tc.body).WithHeader("Content-Type", "application/json").WithCookie(tc.token))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: status %d, want 400; body %s", tc.path, tc.body, resp.StatusCode, resp.Body)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s %s: set a cookie", tc.path, tc.body)
		}
	}
	// Nothing changed: the account is still there, with its password and session.
	s.wantSession(t, ada.Token, true)
	s.signIn(t, "ada@example.com", acctPassword)
	if n := s.Count(t, "users", nil); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	if _, ok := s.userDoc(t, "ada@example.com")["resetPasswordToken"]; ok {
		t.Error("an injected forgot-password stored a reset token")
	}
}

func TestAccountsConcurrentDuplicateSignUps(t *testing.T) {
	s := acctStart(t, nil)
	emails := []string{"dup@example.com", "DUP@example.com", "Dup@Example.com", " dup@example.com", "dup@EXAMPLE.COM"}
	results := concurrently(10, func(i int) result {
		return sendRaw(http.MethodPost, s.URL+acctSignUp, "application/json", "", map[string]string{"name": "Dup", "email": emails[i%len(emails)], "password": acctPassword})
	})
	ok := 0
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		acctCheckBody(t, r.body)
		switch r.status {
		case http.StatusOK:
			ok++
		case http.StatusBadRequest:
			var m map[string]any
			if json.Unmarshal(r.body, &m) != nil || m["status"] != "fail" || m["message"] != "User already exists with this email" {
				t.Errorf("request %d: body %s", i, r.body)
			}
		default:
			t.Errorf("request %d: status %d, body %s", i, r.status, r.body)
		}
	}
	if ok != 1 {
		t.Errorf("%d sign-ups succeeded, want exactly 1", ok)
	}
	if n := s.Count(t, "users", nil); n != 1 {
		t.Errorf("%d users stored, want 1", n)
	}
}

func TestAccountsPerEmailLimit(t *testing.T) {
	s := acctStart(t, map[string]string{"AUTH_RATE_LIMIT_MAX": "3"})
	s.signUp(t, "Ada", "ada@example.com", "")
	s.signUp(t, "Bob", "bob@example.com", "")
	for _, email := range []string{"ada@example.com", "ADA@example.com", " ada@example.com"} {
		resp := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": email, "password": "wrong password"}, "")
		apptest.WantError(t, resp, http.StatusUnauthorized, acctInvalidCreds)
	}
	// The fourth attempt for that email is refused, even with the right
	// password and another spelling.
	resp := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "Ada@Example.com", "password": acctPassword}, "")
	apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many attempts for this account, please try later")
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Another email from the same client still works.
	s.signIn(t, "bob@example.com", acctPassword)

	t.Run("forgot-password", func(t *testing.T) {
		for range 3 {
			wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "bob@example.com"}, ""), http.StatusOK, acctForgotMessage)
		}
		resp := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "BOB@example.com"}, "")
		apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many attempts for this account, please try later")
		wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "nobody@example.com"}, ""), http.StatusOK, acctForgotMessage)
	})

	t.Run("reset-password per token", func(t *testing.T) {
		for range 3 {
			resp := s.call(t, http.MethodPost, acctResetPW+"guessed-token", map[string]string{"password": "new password 1"}, "")
			apptest.WantError(t, resp, http.StatusBadRequest, acctBadReset)
		}
		resp := s.call(t, http.MethodPost, acctResetPW+"guessed-token", map[string]string{"password": "new password 1"}, "")
		apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many attempts for this account, please try later")
		resp = s.call(t, http.MethodPost, acctResetPW+"other-token", map[string]string{"password": "new password 1"}, "")
		apptest.WantError(t, resp, http.StatusBadRequest, acctBadReset)
	})
}
