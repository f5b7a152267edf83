package clock

import (
	"testing"
	"time"
)

func TestNow(t *testing.T) {
	fixed := time.Date(2026, 11, 29, 20, 30, 1, 123456789, time.FixedZone("CET", 3600))
	if got, want := Now(func() time.Time { return fixed }), time.Date(2026, 11, 29, 19, 30, 1, 123000000, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Now(fixed) = %v, want %v in UTC", got, want)
	}
	before := time.Now().Add(-time.Millisecond)
	got := Now(nil)
	if got.Before(before) || got.After(time.Now()) || got.Nanosecond()%int(time.Millisecond) != 0 || got.Location() != time.UTC {
		t.Errorf("Now(nil) = %v: want the wall clock, in UTC, at millisecond precision", got)
	}
}
