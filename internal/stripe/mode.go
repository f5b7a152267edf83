package stripe

import "strings"

// msgWrongMode is the client-safe message of an event from the other mode.
const msgWrongMode = "Webhook event is not in the API key's mode"

// keyIsLive reports whether a Stripe API key (secret or restricted) is a
// live-mode key; known is false for a key of neither recognisable form,
// which stripe-mock and some tests use.
func keyIsLive(key string) (live, known bool) {
	switch {
	case strings.HasPrefix(key, "sk_live_"), strings.HasPrefix(key, "rk_live_"):
		return true, true
	case strings.HasPrefix(key, "sk_test_"), strings.HasPrefix(key, "rk_test_"):
		return false, true
	}
	return false, false
}
