package stripe

import (
	"strings"

	"github.com/lms-backend/lms/internal/apperr"
)

// errWrongMode refuses an event from the other mode.
var errWrongMode = apperr.New(apperr.Invalid, "webhook_wrong_mode", "Webhook event is not in the API key's mode")

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
