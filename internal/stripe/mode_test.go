package stripe_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/stripe"
)

// An event is accepted only in the mode of the API key; a key of no
// recognisable mode (stripe-mock's) checks nothing.
func TestParseEventRefusesTheOtherMode(t *testing.T) {
	test := eventJSON("evt_t", "checkout.session.completed", "2023-10-16", sessionObject)
	live := strings.Replace(test, `"livemode":false`, `"livemode":true`, 1)
	tests := []struct {
		key, payload string
		ok           bool
	}{
		{"sk_test_abc", test, true},
		{"sk_test_abc", live, false},
		{"rk_test_abc", live, false},
		{"sk_live_abc", live, true},
		{"sk_live_abc", test, false},
		{"rk_live_abc", test, false},
		{"sk_mock", live, true},
		{"sk_mock", test, true},
	}
	for _, tt := range tests {
		c := stripe.New(stripe.Config{SecretKey: tt.key, WebhookSecret: whSecret})
		_, err := c.ParseEvent([]byte(tt.payload), sign(tt.payload, whSecret, time.Now()))
		live := strings.Contains(tt.payload, `"livemode":true`)
		switch {
		case tt.ok && err != nil:
			t.Errorf("key %s, livemode %t: %v, want accepted", tt.key, live, err)
		case !tt.ok && !apperr.Is(err, apperr.Invalid):
			t.Errorf("key %s, livemode %t: %v, want apperr.Invalid", tt.key, live, err)
		}
	}
}
