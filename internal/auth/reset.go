package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// ResetTokenBytes is the number of random bytes in a password-reset token.
const ResetTokenBytes = 32

// NewResetToken returns a new password-reset token, ResetTokenBytes random
// bytes in URL-safe base64 without padding, and its hash, which is all that
// should be stored.
func NewResetToken() (token, hash string, err error) {
	b := make([]byte, ResetTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("auth: reset token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashResetToken(token), nil
}

// HashResetToken returns the hex SHA-256 of token, the form in which
// password-reset tokens are stored and looked up.
func HashResetToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
