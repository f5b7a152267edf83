package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lms-backend/lms/internal/apperr"
)

// ErrToken is the error of every rejected token.
var ErrToken = apperr.New(apperr.Unauthenticated, "invalid_token", "JWT token error")

// Claims are what a valid token says about its bearer.
type Claims struct {
	UserID       string
	TokenVersion int64
}

// Tokens issues and parses the service's HS256 JWTs. It is safe for
// concurrent use.
type Tokens struct {
	secret []byte
	ttl    time.Duration

	// Now is the clock used to stamp and check tokens; nil means time.Now.
	// Tests replace it.
	Now func() time.Time
}

// NewTokens returns a Tokens that signs with secret and issues tokens that
// live for ttl.
func NewTokens(secret []byte, ttl time.Duration) *Tokens {
	return &Tokens{secret: append([]byte(nil), secret...), ttl: ttl}
}

// jwtClaims is the wire form of a token's claims: userId, tv, iat, exp.
type jwtClaims struct {
	UserID       string `json:"userId"`
	TokenVersion *int64 `json:"tv"`
	jwt.RegisteredClaims
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Issue returns a signed token for userID at tokenVersion and the time it
// expires (whole seconds, as in the token's exp claim).
func (t *Tokens) Issue(userID string, tokenVersion int64) (token string, expires time.Time, err error) {
	if len(t.secret) == 0 {
		return "", time.Time{}, errors.New("auth: issue token: empty secret")
	}
	if t.ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("auth: issue token: lifetime %v is not positive", t.ttl)
	}
	if !isObjectID(userID) {
		return "", time.Time{}, fmt.Errorf("auth: issue token: user id %q is not an ObjectId", userID)
	}
	now := t.now().Truncate(time.Second)
	expires = now.Add(t.ttl)
	tv := tokenVersion
	c := jwtClaims{
		UserID:       userID,
		TokenVersion: &tv,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expires),
		},
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, expires, nil
}

// Parse checks token's signature (HS256 only), expiry and claims and returns
// its claims. Every failure is an apperr.Unauthenticated error with the
// message of ErrToken; the cause is kept for the logs.
func (t *Tokens) Parse(token string) (Claims, error) {
	c, err := t.parse(token)
	if err != nil {
		return Claims{}, ErrToken.Wrap(err)
	}
	return c, nil
}

func (t *Tokens) parse(token string) (Claims, error) {
	if len(t.secret) == 0 {
		return Claims{}, errors.New("empty secret")
	}
	var c jwtClaims
	_, err := jwt.ParseWithClaims(token, &c,
		func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return Claims{}, err
	}
	if !isObjectID(c.UserID) {
		return Claims{}, fmt.Errorf("claim userId %q is not an ObjectId", c.UserID)
	}
	if c.TokenVersion == nil || *c.TokenVersion < 0 {
		return Claims{}, errors.New("claim tv missing or negative")
	}
	return Claims{UserID: c.UserID, TokenVersion: *c.TokenVersion}, nil
}

// isObjectID reports whether s is an ObjectId in its canonical form: 24
// lowercase hex digits.
func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
