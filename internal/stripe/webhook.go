package stripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/payment"
)

// Errors of a webhook delivery.
var (
	errBadSignature = apperr.New(apperr.Invalid, "invalid_signature", "Invalid webhook signature")
	errBadPayload   = apperr.New(apperr.Invalid, "invalid_payload", "Invalid webhook payload")
)

// ParseEvent verifies the Stripe-Signature header over the raw payload and
// decodes the event. A missing or bad signature, a timestamp more than
// WebhookTolerance in the past or the future, or a malformed payload is an
// apperr.Invalid error, and so is an event whose livemode differs from the
// API key's (sk_live_ or sk_test_). Events of any API version are accepted: only the few
// fields payment.Event needs are decoded. Without a webhook secret every event
// is refused with apperr.Unavailable, so that Stripe retries it later.
func (c *Client) ParseEvent(payload []byte, signatureHeader string) (payment.Event, error) {
	if c.webhookSecret == "" {
		return payment.Event{}, payment.ErrNotConfigured
	}
	// stripe-go refuses only old timestamps; a signature from the future
	// would stay replayable for as long as it is ahead.
	ts, err := signatureTimestamp(signatureHeader)
	if err != nil {
		return payment.Event{}, errBadSignature.Wrap(err)
	}
	if ahead := time.Until(ts); ahead > WebhookTolerance {
		return payment.Event{}, errBadSignature.Wrap(
			fmt.Errorf("webhook timestamp is %s in the future", ahead.Round(time.Second)))
	}
	ev, err := webhook.ConstructEventWithOptions(payload, signatureHeader, c.webhookSecret, webhook.ConstructEventOptions{
		Tolerance:                WebhookTolerance,
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		if isSignatureError(err) {
			return payment.Event{}, errBadSignature.Wrap(err)
		}
		return payment.Event{}, errBadPayload.Wrap(err)
	}
	if ev.ID == "" || ev.Type == "" {
		return payment.Event{}, errBadPayload.Wrap(errors.New("event without id or type"))
	}
	// A test event must not fulfil a live purchase, nor the reverse (an
	// endpoint secret shared between modes, a misrouted delivery).
	if live, known := keyIsLive(c.secretKey); known && ev.Livemode != live {
		return payment.Event{}, errWrongMode.Wrap(
			fmt.Errorf("event %s has livemode %t, the API key has livemode %t", ev.ID, ev.Livemode, live))
	}
	out := payment.Event{ID: ev.ID, Type: string(ev.Type)}
	var raw []byte
	if ev.Data != nil {
		raw = ev.Data.Raw
	}
	switch {
	case strings.HasPrefix(out.Type, "checkout.session."):
		err = decodeSession(raw, &out)
	case strings.HasPrefix(out.Type, "charge."):
		err = decodeCharge(raw, &out)
	}
	if err != nil {
		return payment.Event{}, errBadPayload.Wrap(fmt.Errorf("event %s (%s): %w", out.ID, out.Type, err))
	}
	return out, nil
}

func isSignatureError(err error) bool {
	return errors.Is(err, webhook.ErrNotSigned) ||
		errors.Is(err, webhook.ErrInvalidHeader) ||
		errors.Is(err, webhook.ErrNoValidSignature) ||
		errors.Is(err, webhook.ErrTooOld)
}

// signatureTimestamp returns the t= value of a Stripe-Signature header
// ("t=1495999758,v1=abc,v0=def"), parsed the way stripe-go parses it. A header
// with no timestamp or with more than one is refused: stripe-go would use the
// last, and the check must see the same one.
func signatureTimestamp(header string) (time.Time, error) {
	if header == "" {
		return time.Time{}, webhook.ErrNotSigned
	}
	var ts time.Time
	found := false
	for _, pair := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k != "t" {
			continue
		}
		if found {
			return time.Time{}, errors.New("signature header has more than one timestamp")
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, webhook.ErrInvalidHeader
		}
		ts, found = time.Unix(sec, 0), true
	}
	if !found {
		return time.Time{}, errors.New("signature header has no timestamp")
	}
	return ts, nil
}

// sessionObject holds the fields of a checkout session that events need.
type sessionObject struct {
	Object        string            `json:"object"`
	ID            string            `json:"id"`
	PaymentStatus string            `json:"payment_status"`
	AmountTotal   int64             `json:"amount_total"`
	Currency      string            `json:"currency"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent expandable        `json:"payment_intent"`
}

// chargeObject holds the fields of a charge that events need.
type chargeObject struct {
	Object   string            `json:"object"`
	ID       string            `json:"id"`
	Amount   int64             `json:"amount"`
	Currency string            `json:"currency"`
	Metadata map[string]string `json:"metadata"`
	Refunded bool              `json:"refunded"` // true only when fully refunded
	// AmountRefunded is the sum of the charge's refunds so far.
	AmountRefunded int64      `json:"amount_refunded"`
	PaymentIntent  expandable `json:"payment_intent"`
}

// expandable is a reference Stripe sends as an id or, expanded, as an
// object with an id; null and absent leave it empty.
type expandable string

// UnmarshalJSON accepts "id", {"id": "id", ...} and null.
func (e *expandable) UnmarshalJSON(b []byte) error {
	var id string
	if err := json.Unmarshal(b, &id); err == nil {
		*e = expandable(id)
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("payment_intent: %w", err)
	}
	*e = expandable(obj.ID)
	return nil
}

func decodeSession(raw []byte, out *payment.Event) error {
	var o sessionObject
	if err := decodeObject(raw, &o); err != nil {
		return err
	}
	// Only the object type the event names is decoded; an absent "object"
	// field is taken as that type.
	if o.Object != "" && o.Object != "checkout.session" {
		return nil
	}
	if o.ID == "" {
		return errors.New("checkout session without id")
	}
	out.ObjectID = o.ID
	out.PaymentStatus = o.PaymentStatus
	out.Amount = o.AmountTotal
	out.Currency = o.Currency
	out.Metadata = o.Metadata
	out.PaymentIntentID = string(o.PaymentIntent)
	return nil
}

func decodeCharge(raw []byte, out *payment.Event) error {
	var o chargeObject
	if err := decodeObject(raw, &o); err != nil {
		return err
	}
	// charge.dispute.* and charge.refund.* carry a dispute or a refund, not
	// a charge: they get ID and Type only.
	if o.Object != "" && o.Object != "charge" {
		return nil
	}
	if o.ID == "" {
		return errors.New("charge without id")
	}
	out.ObjectID = o.ID
	out.Amount = o.Amount
	out.Currency = o.Currency
	out.Metadata = o.Metadata
	out.Refunded = o.Refunded
	out.AmountRefunded = o.AmountRefunded
	out.PaymentIntentID = string(o.PaymentIntent)
	return nil
}

func decodeObject(raw []byte, v any) error {
	if len(raw) == 0 {
		return errors.New("event without data.object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode data.object: %w", err)
	}
	return nil
}
