// Package clock gives every timestamp the service stores the database's
// precision, so that what a request returns is what a later read returns.
package clock

import "time"

// Now returns now() — time.Now when now is nil, so that services need not
// default their injectable clocks — in UTC, truncated to the millisecond
// (BSON dates hold milliseconds).
func Now(now func() time.Time) time.Time {
	if now == nil {
		now = time.Now
	}
	return Truncate(now())
}

// Truncate returns t in UTC at millisecond precision.
func Truncate(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}
