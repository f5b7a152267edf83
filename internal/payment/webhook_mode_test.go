package payment_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// With a test-mode key, a live-mode event is refused with 400 before
// anything is written, and the purchase stays pending.
func TestWebhookRefusesEventOfTheOtherMode(t *testing.T) {
	h := start(t, nil) // testKey is sk_test_…
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	payload := bytes.Replace(completed("evt_live", r), []byte(`"livemode":false`), []byte(`"livemode":true`), 1)
	if bytes.Equal(payload, completed("evt_live", r)) {
		t.Fatal("the event has no livemode to change")
	}
	resp := h.deliverWith(t, payload, signature(payload, whSecret, time.Now()))
	apptest.WantError(t, resp, http.StatusBadRequest, "Webhook event is not in the API key's mode")
	if n := h.Count(t, "webhookevents", bson.M{}); n != 0 {
		t.Errorf("%d event records written", n)
	}
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" {
		t.Errorf("purchase %+v changed", p)
	}
	h.wantEnrolled(t, student, c, 0, 0)
	// The same event in test mode fulfils.
	h.deliver(t, completed("evt_test", r))
	h.wantEnrolled(t, student, c, 1, 1)
}
