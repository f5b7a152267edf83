package auth

import (
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
	"golang.org/x/crypto/bcrypt"
)

func TestPasswords(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost)
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
			h, err := p.Hash(tt.pw)
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
			if !p.Matches(h, tt.pw) {
				t.Error("Matches(right password) = false")
			}
			if p.Matches(h, tt.pw+"!") || p.Matches(h, tt.pw[:len(tt.pw)-1]) {
				t.Error("Matches(wrong password) = true")
			}
		})
	}
}

func TestMatchesRefusesOverlongPassword(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost)
	pw72 := strings.Repeat("p", MaxPasswordBytes)
	h, err := p.Hash(pw72)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt alone would accept this: it only reads the first 72 bytes.
	if bcrypt.CompareHashAndPassword([]byte(h), []byte(pw72+"x")) != nil {
		t.Fatal("precondition: bcrypt no longer truncates; revisit Matches")
	}
	if !p.Matches(h, pw72) {
		t.Error("Matches(72 bytes) = false")
	}
	if p.Matches(h, pw72+"x") {
		t.Error("Matches(73 bytes whose first 72 match) = true")
	}
}

func TestMatchesMalformedHash(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost)
	for _, h := range []string{"", "plain", "$2a$04$short"} {
		if p.Matches(h, "12345678") {
			t.Errorf("Matches(%q) = true", h)
		}
	}
}

func TestCompareDummy(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost + 1)
	// The dummy hash costs what a real one costs, so the compare takes as long.
	if cost, err := bcrypt.Cost(p.dummy); err != nil || cost != bcrypt.MinCost+1 {
		t.Errorf("dummy cost = %d, %v; want %d", cost, err, bcrypt.MinCost+1)
	}
	other := NewPasswords(bcrypt.MinCost + 1)
	if string(p.dummy) == string(other.dummy) {
		t.Error("two Passwords share a dummy hash")
	}
	for _, pw := range []string{"", "12345678", strings.Repeat("x", 100)} {
		p.CompareDummy(pw) // must not panic
		if p.Matches(string(p.dummy), pw) {
			t.Errorf("dummy hash matches %q", pw)
		}
	}
}

func TestNewPasswordsBadCost(t *testing.T) {
	for _, cost := range []int{0, bcrypt.MinCost - 1, bcrypt.MaxCost + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewPasswords(%d) did not panic", cost)
				}
			}()
			NewPasswords(cost)
		}()
	}
}
