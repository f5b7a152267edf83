package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lms-backend/lms/internal/apperr"
)

const testUserID = "64b7f0c2a1b2c3d4e5f60718"

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newTestTokens(t *testing.T, now time.Time) *Tokens {
	t.Helper()
	tok := NewTokens(testSecret, 24*time.Hour)
	tok.Now = func() time.Time { return now }
	return tok
}

// sign returns claims signed with method and key, bypassing Tokens.Issue.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

func TestIssueParseRoundTrip(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 500_000_000, time.UTC)
	tok := newTestTokens(t, now)

	token, expires, err := tok.Issue(testUserID, 7)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	wantExp := now.Truncate(time.Second).Add(24 * time.Hour)
	if !expires.Equal(wantExp) {
		t.Errorf("expires = %v, want %v", expires, wantExp)
	}

	got, err := tok.Parse(token)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if want := (Claims{UserID: testUserID, TokenVersion: 7}); got != want {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}

	// The payload carries exactly userId, tv, iat and exp.
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	want := map[string]any{
		"userId": testUserID,
		"tv":     float64(7),
		"iat":    float64(now.Unix()),
		"exp":    float64(wantExp.Unix()),
	}
	if len(payload) != len(want) {
		t.Errorf("payload = %v, want %v", payload, want)
	}
	for k, v := range want {
		if payload[k] != v {
			t.Errorf("payload[%q] = %v, want %v", k, payload[k], v)
		}
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if !strings.Contains(string(hdr), `"alg":"HS256"`) {
		t.Errorf("header = %s, want alg HS256", hdr)
	}

	// Valid until the last second, refused from exp on.
	tok.Now = func() time.Time { return wantExp.Add(-time.Second) }
	if _, err := tok.Parse(token); err != nil {
		t.Errorf("Parse one second before exp: %v", err)
	}
	tok.Now = func() time.Time { return wantExp }
	if _, err := tok.Parse(token); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("Parse at exp: err = %v, want Unauthenticated", err)
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		tokens *Tokens
		userID string
	}{
		{"bad user id", newTestTokens(t, now), "nope"},
		{"upper-case user id", newTestTokens(t, now), strings.ToUpper(testUserID)},
		{"empty secret", NewTokens(nil, time.Hour), testUserID},
		{"zero ttl", NewTokens(testSecret, 0), testUserID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := tt.tokens.Issue(tt.userID, 0); err == nil {
				t.Error("Issue succeeded, want error")
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := newTestTokens(t, now)
	good, _, err := tok.Issue(testUserID, 1)
	if err != nil {
		t.Fatal(err)
	}
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{
			"userId": testUserID,
			"tv":     1,
			"iat":    now.Unix(),
			"exp":    now.Add(time.Hour).Unix(),
		}
	}
	without := func(key string) jwt.MapClaims {
		c := valid()
		delete(c, key)
		return c
	}
	with := func(key string, v any) jwt.MapClaims {
		c := valid()
		c[key] = v
		return c
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	// A control: the helper's claims are accepted when signed properly.
	if _, err := tok.Parse(sign(t, jwt.SigningMethodHS256, testSecret, valid())); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	parts := strings.Split(good, ".")
	flipped := []byte(parts[2])
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(flipped)

	// The payload changed to another user, with the original signature.
	otherPayload := base64.RawURLEncoding.EncodeToString([]byte(
		`{"userId":"000000000000000000000001","tv":1,"iat":` +
			jsonInt(now.Unix()) + `,"exp":` + jsonInt(now.Add(time.Hour).Unix()) + `}`))
	swappedPayload := parts[0] + "." + otherPayload + "." + parts[2]

	// Key confusion: an RS256 header over an HMAC signature made with the secret.
	rsHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	confusedInput := rsHeader + "." + parts[1]
	confusedSig, err := jwt.SigningMethodHS256.Sign(confusedInput, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	confused := confusedInput + "." + base64.RawURLEncoding.EncodeToString(confusedSig)

	tests := []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not.a.jwt"},
		{"tampered signature", tampered},
		{"tampered payload", swappedPayload},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, testSecret, valid())},
		{"HS384 with the right secret", sign(t, jwt.SigningMethodHS384, testSecret, valid())},
		{"RS256 signed", sign(t, jwt.SigningMethodRS256, rsaKey, valid())},
		{"RS256 header over HMAC", confused},
		{"expired", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", now.Add(-time.Second).Unix()))},
		{"no exp", sign(t, jwt.SigningMethodHS256, testSecret, without("exp"))},
		{"exp not a number", sign(t, jwt.SigningMethodHS256, testSecret, with("exp", "tomorrow"))},
		{"missing userId", sign(t, jwt.SigningMethodHS256, testSecret, without("userId"))},
		{"empty userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", ""))},
		{"bad userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", "not-an-object-id"))},
		{"short userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", testUserID[:23]))},
		{"non-hex userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", "zzzzzzzzzzzzzzzzzzzzzzzz"))},
		{"numeric userId", sign(t, jwt.SigningMethodHS256, testSecret, with("userId", 42))},
		{"missing tv", sign(t, jwt.SigningMethodHS256, testSecret, without("tv"))},
		{"negative tv", sign(t, jwt.SigningMethodHS256, testSecret, with("tv", -1))},
		{"fractional tv", sign(t, jwt.SigningMethodHS256, testSecret, with("tv", 1.5))},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another secret of enough length!"), valid())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims, err := tok.Parse(tt.token)
			assertTokenError(t, err)
			if claims != (Claims{}) {
				t.Errorf("claims = %+v, want zero", claims)
			}
		})
	}

	t.Run("empty secret", func(t *testing.T) {
		_, err := NewTokens(nil, time.Hour).Parse(sign(t, jwt.SigningMethodHS256, []byte{}, valid()))
		assertTokenError(t, err)
	})
}

func assertTokenError(t *testing.T, err error) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want *apperr.Error", err)
	}
	if e.Kind != apperr.Unauthenticated || e.Message != ErrToken.Message {
		t.Errorf("err = {%v, %q}, want {Unauthenticated, %q}", e.Kind, e.Message, ErrToken.Message)
	}
	if e.Err == nil {
		t.Error("err has no cause for the logs")
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestNewTokensCopiesSecret(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	tok := NewTokens(secret, time.Hour)
	token, _, err := tok.Issue(testUserID, 0)
	if err != nil {
		t.Fatal(err)
	}
	secret[0] = 'X'
	if _, err := tok.Parse(token); err != nil {
		t.Errorf("Parse after the caller changed its slice: %v", err)
	}
}
