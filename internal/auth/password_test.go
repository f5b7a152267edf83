package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"golang.org/x/crypto/bcrypt"
)

var ctx = context.Background()

// matches is Matches for a Passwords that is never busy in these tests.
func matches(t *testing.T, p *Passwords, hash, pw string) bool {
	t.Helper()
	ok, err := p.Matches(ctx, hash, pw)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestPasswords(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost, 0)
	pw72 := strings.Repeat("p", 72)

	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"min length", "12345678", true},
		{"max length", pw72, true},
		{"utf-8", "pässwörd-ü", true},
		{"too short", "1234567", false},
		{"empty", "", false},
		{"too long", pw72 + "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := p.Hash(ctx, tt.pw)
			if !tt.ok {
				if !apperr.Is(err, apperr.Invalid) {
					t.Fatalf("Hash err = %v, want Invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Hash: %v", err)
			}
			if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != bcrypt.MinCost {
				t.Errorf("hash cost = %d, %v; want %d", cost, err, bcrypt.MinCost)
			}
			if !matches(t, p, h, tt.pw) {
				t.Error("Matches(right password) = false")
			}
			if matches(t, p, h, tt.pw+"!") || matches(t, p, h, tt.pw[:len(tt.pw)-1]) {
				t.Error("Matches(wrong password) = true")
			}
		})
	}
}

func TestMatchesRefusesOverlongPassword(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost, 0)
	pw72 := strings.Repeat("p", MaxPasswordBytes)
	h, err := p.Hash(ctx, pw72)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt alone would accept this: it only reads the first 72 bytes.
	if bcrypt.CompareHashAndPassword([]byte(h), []byte(pw72+"x")) != nil {
		t.Fatal("precondition: bcrypt no longer truncates; revisit Matches")
	}
	if !matches(t, p, h, pw72) {
		t.Error("Matches(72 bytes) = false")
	}
	if matches(t, p, h, pw72+"x") {
		t.Error("Matches(73 bytes whose first 72 match) = true")
	}
}

func TestMatchesMalformedHash(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost, 0)
	for _, h := range []string{"", "plain", "$2a$04$short"} {
		if matches(t, p, h, "12345678") {
			t.Errorf("Matches(%q) = true", h)
		}
	}
}

func TestCompareDummy(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost+1, 0)
	// The dummy hash costs what a real one costs, so the compare takes as long.
	if cost, err := bcrypt.Cost(p.dummy); err != nil || cost != bcrypt.MinCost+1 {
		t.Errorf("dummy cost = %d, %v; want %d", cost, err, bcrypt.MinCost+1)
	}
	other := NewPasswords(bcrypt.MinCost+1, 0)
	if string(p.dummy) == string(other.dummy) {
		t.Error("two Passwords share a dummy hash")
	}
	for _, pw := range []string{"", "12345678", strings.Repeat("x", 100)} {
		if err := p.CompareDummy(ctx, pw); err != nil {
			t.Fatal(err)
		}
		if matches(t, p, string(p.dummy), pw) {
			t.Errorf("dummy hash matches %q", pw)
		}
	}
}

func TestNewPasswordsBadCost(t *testing.T) {
	for _, cost := range []int{0, bcrypt.MinCost - 1, bcrypt.MaxCost + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewPasswords(%d, 0) did not panic", cost)
				}
			}()
			NewPasswords(cost, 0)
		}()
	}
}

// While every slot is taken, a password operation waits its queue time and
// then answers ErrBusy (a 503 with Retry-After) instead of piling up.
// Many concurrent calls that fit the queue wait all run, and give every
// slot back.
func TestPasswordsAreBounded(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost, 20*time.Millisecond)
	h, err := p.Hash(ctx, "12345678")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(p.slots) {
		p.slots <- struct{}{} // every slot taken
	}
	if _, err := p.Hash(ctx, "12345678"); !errors.Is(err, ErrBusy) {
		t.Errorf("Hash with every slot taken: %v, want ErrBusy", err)
	}
	if _, err := p.Matches(ctx, h, "12345678"); !errors.Is(err, ErrBusy) {
		t.Errorf("Matches with every slot taken: %v, want ErrBusy", err)
	}
	if e, _ := apperr.As(ErrBusy); e.Kind != apperr.Unavailable || e.RetryAfter <= 0 {
		t.Errorf("ErrBusy = %+v, want a 503 with Retry-After", e)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.CompareDummy(cancelled, "12345678"); !errors.Is(err, context.Canceled) {
		t.Errorf("CompareDummy with a cancelled context: %v", err)
	}
	for range cap(p.slots) {
		<-p.slots
	}

	p = NewPasswords(bcrypt.MinCost, time.Minute)
	var wg sync.WaitGroup
	for range 4 * cap(p.slots) {
		wg.Go(func() {
			if ok, err := p.Matches(ctx, h, "12345678"); err != nil || !ok {
				t.Errorf("Matches: %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
	if n := len(p.slots); n != 0 {
		t.Errorf("%d slots still taken after every call returned", n)
	}
}
