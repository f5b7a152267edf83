package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"golang.org/x/crypto/bcrypt"
)

// The accepted password lengths in bytes. bcrypt looks at no more than the
// first 72 bytes, so longer passwords are refused rather than truncated.
const (
	MinPasswordBytes = 8
	MaxPasswordBytes = 72
)

// DefaultQueueWait is how long a password operation waits for a free slot
// before it gives up with ErrBusy.
const DefaultQueueWait = 2 * time.Second

// ErrBusy refuses a password operation that found every slot taken for
// longer than the queue wait: the client retries after a second, and the
// other endpoints keep their latency meanwhile.
var ErrBusy = &apperr.Error{Kind: apperr.Unavailable, Code: "server_busy",
	Message: "Too many sign-ins at once, please retry in a moment", RetryAfter: time.Second}

// Passwords hashes and checks passwords with bcrypt. At most as many
// hashes or comparisons run at once as there are cores: bcrypt is pure CPU,
// and a flood of sign-ins would otherwise take the scheduler from every
// other request. It is safe for concurrent use.
type Passwords struct {
	cost  int
	dummy []byte        // a hash of a random password, for CompareDummy
	slots chan struct{} // one token per running bcrypt call
	wait  time.Duration // how long a call queues for a slot
}

// NewPasswords returns a Passwords that hashes at the given bcrypt cost,
// running at most GOMAXPROCS bcrypt calls at once, each queueing at most
// wait for its turn (DefaultQueueWait when wait ≤ 0). It hashes a random
// password once, so that CompareDummy costs what a real comparison costs.
// It panics when cost is outside bcrypt's range [bcrypt.MinCost,
// bcrypt.MaxCost]: configuration must have checked it.
func NewPasswords(cost int, wait time.Duration) *Passwords {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		panic(fmt.Sprintf("auth: bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost))
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		panic(fmt.Sprintf("auth: dummy password hash: %v", err))
	}
	if wait <= 0 {
		wait = DefaultQueueWait
	}
	return &Passwords{cost: cost, dummy: dummy, slots: make(chan struct{}, runtime.GOMAXPROCS(0)), wait: wait}
}

// run runs f in a slot, once one is free within the queue wait.
func (p *Passwords) run(ctx context.Context, f func()) error {
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("auth: wait for a password slot: %w", ctx.Err())
	}
	defer func() { <-p.slots }()
	f()
	return nil
}

// Hash returns the bcrypt hash of pw. A password shorter than
// MinPasswordBytes or longer than MaxPasswordBytes is an apperr.Invalid error.
func (p *Passwords) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) < MinPasswordBytes || len(pw) > MaxPasswordBytes {
		return "", apperr.New(apperr.Invalid, "password_length", fmt.Sprintf("Password must be %d to %d bytes long", MinPasswordBytes, MaxPasswordBytes))
	}
	var h []byte
	var hashErr error
	err := p.run(ctx, func() { h, hashErr = bcrypt.GenerateFromPassword([]byte(pw), p.cost) })
	if err == nil {
		err = hashErr
	}
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// Matches reports whether pw is the password hashed in hash. A password
// longer than MaxPasswordBytes never matches and is not compared, since
// bcrypt would silently compare only its first 72 bytes.
func (p *Passwords) Matches(ctx context.Context, hash, pw string) (bool, error) {
	if len(pw) > MaxPasswordBytes {
		return false, nil
	}
	var ok bool
	err := p.run(ctx, func() { ok = compare([]byte(hash), pw) })
	return ok, err
}

// CompareDummy compares pw with the hash of a random password nobody knows
// and discards the result. Call it when there is no user to check pw
// against (an unknown email), so that the answer takes as long as for a
// wrong password.
func (p *Passwords) CompareDummy(ctx context.Context, pw string) error {
	_, err := p.Matches(ctx, string(p.dummy), pw)
	return err
}

func compare(hash []byte, pw string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(pw)) == nil
}
