package stripe_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/stripe"
)

// FuzzParseEvent feeds ParseEvent arbitrary bodies and headers. It must never
// panic, must refuse with apperr.Invalid, and may accept only a body that
// carries a v1 signature made with the secret at a timestamp within the
// tolerance, as checked here independently of stripe-go.
func FuzzParseEvent(f *testing.F) {
	now := time.Now()
	for _, p := range []string{
		eventJSON("evt_1", "checkout.session.completed", "2023-10-16", sessionObject),
		eventJSON("evt_2", "charge.refunded", "2025-01-27.acacia", fmt.Sprintf(chargeObject, 1999, true)),
		eventJSON("evt_3", "charge.dispute.created", "2023-10-16", `{"id":"dp_1","object":"dispute"}`),
		`{"id":"evt_4","type":"checkout.session.completed","data":{"object":null}}`,
		`{"id":"evt_5","type":"charge.failed","data":null}`,
		"null", "", "\x00\xff",
	} {
		f.Add([]byte(p), sign(p, whSecret, now))
		f.Add([]byte(p), sign(p, "whsec_other", now))
		f.Add([]byte(p), sign(p, whSecret, now.Add(-time.Hour)))
		f.Add([]byte(p), sign(p, whSecret, now.Add(time.Hour)))
	}
	f.Add([]byte("{}"), "")
	f.Add([]byte("{}"), "t=,v1=")
	f.Add([]byte("{}"), "t=9223372036854775807,v1=00")
	f.Add([]byte("{}"), "t=-9223372036854775808,v1=zz,v1=00,,=,t")

	c := stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret})
	f.Fuzz(func(t *testing.T, payload []byte, header string) {
		ev, err := c.ParseEvent(payload, header)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error %v is not apperr.Invalid", err)
			}
			return
		}
		if !validlySigned(payload, header, time.Now()) {
			t.Fatalf("accepted an event not signed with the secret: header %q, event %+v", header, ev)
		}
		if ev.ID == "" || ev.Type == "" {
			t.Fatalf("accepted an event without id or type: %+v", ev)
		}
	})
}

// validlySigned reports whether header has exactly one timestamp, within the
// tolerance of now, and a v1 HMAC-SHA256 of "t.payload" under whSecret.
func validlySigned(payload []byte, header string, now time.Time) bool {
	var ts string
	var sigs []string
	for _, pair := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(pair, "=")
		switch k {
		case "t":
			if ts != "" {
				return false
			}
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > stripe.WebhookTolerance+time.Minute || d < -stripe.WebhookTolerance-time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(whSecret))
	// stripe-go signs the timestamp as it formats it, not as it was sent.
	mac.Write([]byte(strconv.FormatInt(sec, 10) + "."))
	mac.Write(payload)
	want := mac.Sum(nil)
	for _, s := range sigs {
		if got, err := hex.DecodeString(s); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
