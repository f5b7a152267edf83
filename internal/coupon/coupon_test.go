package coupon_test

import (
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/coupon"
)

func TestDiscount(t *testing.T) {
	for _, tt := range []struct {
		kind        coupon.Kind
		value, list int64
		want        int64
	}{
		{coupon.KindPercent, 25, 1999, 500}, // 499.75 rounds half up
		{coupon.KindPercent, 10, 1995, 200}, // 199.5 → 200
		{coupon.KindPercent, 100, 4999, 4999},
		{coupon.KindPercent, 1, 50, 0}, // 0.5 cent would leave 49.5: 50 is the least charge
		{coupon.KindAmount, 1000, 3000, 1000},
		{coupon.KindAmount, 5000, 3000, 3000}, // capped at the price
		{coupon.KindAmount, 2980, 3000, 2950}, // 0.20 left is below Stripe's minimum: 0.50
		{coupon.KindAmount, 3000, 3000, 3000}, // exactly free is fine
		{coupon.KindPercent, 99, 100, 50},     // 1 cent left → 50
	} {
		c := coupon.Coupon{Kind: tt.kind, Value: tt.value}
		if got := c.Discount(tt.list); got != tt.want {
			t.Errorf("%s %d off %d = %d, want %d", tt.kind, tt.value, tt.list, got, tt.want)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{
		"spring-25": "SPRING-25", "ABC": "ABC", "a_b": "A_B", "A234567890123456789012345678901X": "A234567890123456789012345678901X",
		"ab": "", "a b c": "", "SAVE%": "", "ÄBC": "", "A2345678901234567890123456789012X": "", "{$ne:1}": "",
	} {
		got, ok := coupon.NormalizeCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestUsableAndAvailable(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	base := coupon.Coupon{Active: true, MaxRedemptions: 2, PerUserLimit: 1, UserUses: map[string]int64{}}
	for _, tt := range []struct {
		name   string
		edit   func(c *coupon.Coupon)
		user   string
		held   int64
		usable error
		avail  error
	}{
		{"fresh", func(*coupon.Coupon) {}, "u", 0, nil, nil},
		{"inactive", func(c *coupon.Coupon) { c.Active = false }, "u", 0, coupon.ErrInactive, nil},
		{"not started", func(c *coupon.Coupon) { c.StartsAt = now.Add(time.Second) }, "u", 0, coupon.ErrNotStarted, nil},
		{"expires now", func(c *coupon.Coupon) { c.ExpiresAt = now }, "u", 0, coupon.ErrExpired, nil},
		{"used up", func(c *coupon.Coupon) { c.Used = 2 }, "u", 0, nil, coupon.ErrUsedUp},
		{"used up but one is held by this checkout", func(c *coupon.Coupon) { c.Used = 2; c.UserUses["u"] = 1 }, "u", 1, nil, nil},
		{"unbounded", func(c *coupon.Coupon) { c.MaxRedemptions = 0; c.Used = 1000 }, "u", 0, nil, nil},
		{"user's share taken", func(c *coupon.Coupon) { c.Used = 1; c.UserUses["u"] = 1 }, "u", 0, nil, coupon.ErrAlreadyUsed},
		{"another user's share", func(c *coupon.Coupon) { c.Used = 1; c.UserUses["v"] = 1 }, "u", 0, nil, nil},
	} {
		c := base
		c.UserUses = map[string]int64{}
		tt.edit(&c)
		if err := c.Usable(now); err != tt.usable {
			t.Errorf("%s: Usable = %v, want %v", tt.name, err, tt.usable)
		}
		if err := c.Available(tt.user, tt.held); err != tt.avail {
			t.Errorf("%s: Available = %v, want %v", tt.name, err, tt.avail)
		}
	}
}

func TestAppliesTo(t *testing.T) {
	own := coupon.Coupon{OwnerID: "teacher"}
	listed := coupon.Coupon{OwnerID: "teacher", CourseIDs: []string{"c1"}}
	site := coupon.Coupon{OwnerID: "admin", Site: true}
	for _, tt := range []struct {
		c                  coupon.Coupon
		course, instructor string
		want               bool
	}{
		{own, "c1", "teacher", true},
		{own, "c9", "teacher", true},
		{own, "c1", "other", false},
		{listed, "c1", "teacher", true},
		{listed, "c2", "teacher", false},
		{site, "c1", "anyone", true},
	} {
		if got := tt.c.AppliesTo(tt.course, tt.instructor); got != tt.want {
			t.Errorf("%+v AppliesTo(%s, %s) = %v", tt.c, tt.course, tt.instructor, got)
		}
	}
}
