package auth

import (
	"encoding/base64"
	"regexp"
	"testing"
)

func TestNewResetToken(t *testing.T) {
	urlSafe := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	hexSHA256 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := make(map[string]bool)
	for range 1000 {
		token, hash, err := NewResetToken()
		if err != nil {
			t.Fatal(err)
		}
		if !urlSafe.MatchString(token) {
			t.Fatalf("token %q is not 43 URL-safe characters", token)
		}
		if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != ResetTokenBytes {
			t.Fatalf("token decodes to %d bytes, %v", len(b), err)
		}
		if !hexSHA256.MatchString(hash) || hash != HashResetToken(token) {
			t.Fatalf("hash %q of %q is not HashResetToken's", hash, token)
		}
		if seen[token] {
			t.Fatalf("token %q issued twice", token)
		}
		seen[token] = true
	}
}

func TestHashResetToken(t *testing.T) {
	// SHA-256 test vector.
	if got, want := HashResetToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashResetToken(abc) = %s, want %s", got, want)
	}
	if HashResetToken("a") == HashResetToken("b") {
		t.Error("different tokens share a hash")
	}
}
