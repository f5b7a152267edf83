package payment_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/stripe"
)

// FuzzWebhook sends random bodies and Stripe-Signature headers to the
// webhook. Whatever arrives, the service never panics, never answers 5xx
// (the database is healthy), and accepts only bodies that really are signed
// with the endpoint's secret; what it refuses writes nothing.
func FuzzWebhook(f *testing.F) {
	h := start(f, nil)
	teacher, student := h.signUp(f, "instructor"), h.signUp(f, "student")
	c := h.course(f, teacher.ID, 10, true)
	r := h.buy(f, student, c)

	now := time.Now()
	valid := completed("evt_fuzz_seed", r)
	f.Add(valid, signature(valid, whSecret, now))
	f.Add(valid, signature(valid, "whsec_other", now))
	f.Add(valid, signature(valid, whSecret, now.Add(-time.Hour)))
	f.Add(valid, signature(valid, whSecret, now.Add(time.Hour)))
	f.Add(bytes.Replace(valid, []byte("1000"), []byte("1001"), 1), signature(valid, whSecret, now))
	refund := refunded("evt_fuzz_refund", r)
	f.Add(refund, signature(refund, whSecret, now))
	f.Add([]byte(`{"id":"evt_1","type":"charge.refunded","data":{"object":{"object":"charge"}}}`), "")
	f.Add([]byte(`{}`), fmt.Sprintf("t=%d,v1=%x", now.Unix(), make([]byte, 32)))
	f.Add([]byte(`null`), "t=1,t=2,v1=00")
	f.Add([]byte{0xff, 0xfe, 0x00}, "v1=,t=")
	f.Add([]byte(nil), "")

	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		if !validHeaderValue(sig) {
			t.Skip("no HTTP client sends this header")
		}
		before := h.Count(t, "webhookevents", bson.M{})
		req := h.NewRequest(t, http.MethodPost, webhookPath, body)
		if sig != "" {
			req.Header["Stripe-Signature"] = []string{sig} // as is, even if not a valid header value
		}
		resp := req.Send(t)
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		signed := webhook.ValidatePayloadWithTolerance(body, sig, whSecret, stripe.WebhookTolerance) == nil
		if resp.StatusCode == http.StatusOK && !signed {
			t.Fatalf("accepted an unsigned body: %q with %q", body, sig)
		}
		if resp.StatusCode != http.StatusOK && h.Count(t, "webhookevents", bson.M{}) != before {
			t.Fatalf("status %d, and an event was recorded", resp.StatusCode)
		}
	})
}

// validHeaderValue reports whether net/http sends v as a header value.
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
