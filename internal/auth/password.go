package auth

import (
	"crypto/rand"
	"fmt"

	"github.com/lms-backend/lms/internal/apperr"
	"golang.org/x/crypto/bcrypt"
)

// The accepted password lengths in bytes. bcrypt looks at no more than the
// first 72 bytes, so longer passwords are refused rather than truncated.
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// Passwords hashes and checks passwords with bcrypt. It is safe for
// concurrent use.
type Passwords struct {
	cost  int
	dummy []byte // a hash of a random password, for CompareDummy
}

// NewPasswords returns a Passwords that hashes at the given bcrypt cost. It
// hashes a random password once, so that CompareDummy costs what a real
// comparison costs. It panics when cost is outside bcrypt's range
// [bcrypt.MinCost, bcrypt.MaxCost]: configuration must have checked it.
func NewPasswords(cost int) *Passwords {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		panic(fmt.Sprintf("auth: bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		panic(fmt.Sprintf("auth: dummy password hash: %v", err))
	}
	return &Passwords{cost: cost, dummy: dummy}
}

// Hash returns the bcrypt hash of pw. A password shorter than
// MinPasswordBytes or longer than MaxPasswordBytes is an apperr.Invalid error.
func (p *Passwords) Hash(pw string) (string, error) {
	if len(pw) < MinPasswordBytes || len(pw) > MaxPasswordBytes {
		return "", apperr.New(apperr.Invalid, "password_length", fmt.Sprintf("Password must be %d to %d bytes long", MinPasswordBytes, MaxPasswordBytes))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), p.cost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// Matches reports whether pw is the password hashed in hash. A password
// longer than MaxPasswordBytes never matches and is not compared, since
// bcrypt would silently compare only its first 72 bytes.
func (p *Passwords) Matches(hash, pw string) bool {
	if len(pw) > MaxPasswordBytes {
		return false
	}
	return compare([]byte(hash), pw)
}

// CompareDummy compares pw with the hash of a random password nobody knows
// and discards the result. Call it when there is no user to check pw against (an unknown
// email), so that the answer takes as long as for a wrong password.
func (p *Passwords) CompareDummy(pw string) {
	if len(pw) > MaxPasswordBytes {
		return
	}
	compare(p.dummy, pw)
}

func compare(hash []byte, pw string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
}
