package stripe

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	stripego "github.com/stripe/stripe-go/v76"

	"github.com/lms-backend/lms/internal/payment"
)

// Metadata keys set on every checkout session and its payment intent, so that
// both checkout.session.* and charge.* events lead back to the purchase. The
// payment package, which reads them back, owns the names.
const (
	MetadataPurchaseID = payment.MetadataPurchaseID
	MetadataCourseID   = payment.MetadataCourseID
	MetadataUserID     = payment.MetadataUserID
)

// CreateCheckoutSession opens a one-item hosted checkout page in payment mode.
// The request carries p.IdempotencyKey, so repeating it (or stripe-go's own
// retry) returns the same session instead of opening a second one.
func (c *Client) CreateCheckoutSession(ctx context.Context, p payment.CheckoutParams) (payment.Session, error) {
	meta := map[string]string{
		MetadataPurchaseID: p.PurchaseID,
		MetadataCourseID:   p.CourseID,
		MetadataUserID:     p.UserID,
	}
	product := &stripego.CheckoutSessionLineItemPriceDataProductDataParams{
		Name: stripego.String(p.ProductName),
	}
	if p.ImageURL != "" {
		product.Images = []*string{stripego.String(p.ImageURL)}
	}
	params := &stripego.CheckoutSessionParams{
		Mode: stripego.String(string(stripego.CheckoutSessionModePayment)),
		LineItems: []*stripego.CheckoutSessionLineItemParams{{
			PriceData: &stripego.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripego.String(p.Currency),
				UnitAmount:  stripego.Int64(p.AmountCents),
				ProductData: product,
			},
			Quantity: stripego.Int64(1),
		}},
		SuccessURL:        stripego.String(p.SuccessURL),
		CancelURL:         stripego.String(p.CancelURL),
		ClientReferenceID: stripego.String(p.PurchaseID),
		Metadata:          meta,
		// Session metadata is not copied to the payment intent or its
		// charges; charge.* events need it too.
		PaymentIntentData: &stripego.CheckoutSessionPaymentIntentDataParams{
			Metadata: maps.Clone(meta),
		},
	}
	params.Context = ctx
	if p.IdempotencyKey != "" {
		params.SetIdempotencyKey(p.IdempotencyKey)
	}
	s, err := c.api.CheckoutSessions.New(params)
	if err != nil {
		return payment.Session{}, c.wrapErr("create checkout session", err)
	}
	return toSession(s), nil
}

// GetCheckoutSession reads a checkout session's current state.
func (c *Client) GetCheckoutSession(ctx context.Context, id string) (payment.Session, error) {
	// An empty id would turn the path into the list endpoint.
	if strings.TrimSpace(id) == "" {
		return payment.Session{}, errors.New("stripe: get checkout session: empty session id")
	}
	params := &stripego.CheckoutSessionParams{}
	params.Context = ctx
	s, err := c.api.CheckoutSessions.Get(id, params)
	if err != nil {
		return payment.Session{}, c.wrapErr("get checkout session", err)
	}
	return toSession(s), nil
}

// ExpireCheckoutSession closes an open checkout session. Stripe refuses to
// expire a session that is not open (paid or expired already).
func (c *Client) ExpireCheckoutSession(ctx context.Context, id string) error {
	// An empty id would make the path /v1/checkout/sessions//expire.
	if strings.TrimSpace(id) == "" {
		return errors.New("stripe: expire checkout session: empty session id")
	}
	params := &stripego.CheckoutSessionExpireParams{}
	params.Context = ctx
	if _, err := c.api.CheckoutSessions.Expire(id, params); err != nil {
		return c.wrapErr("expire checkout session", err)
	}
	return nil
}

func toSession(s *stripego.CheckoutSession) payment.Session {
	out := payment.Session{
		ID:            s.ID,
		URL:           s.URL,
		Status:        string(s.Status),
		PaymentStatus: string(s.PaymentStatus),
		AmountTotal:   s.AmountTotal,
		Currency:      string(s.Currency),
		Metadata:      maps.Clone(s.Metadata),
	}
	if s.PaymentIntent != nil {
		out.PaymentIntentID = s.PaymentIntent.ID
	}
	if s.ExpiresAt != 0 {
		out.ExpiresAt = time.Unix(s.ExpiresAt, 0).UTC()
	}
	return out
}

// wrapErr adds context to a stripe-go error. Should the error's text ever
// contain the secret key (an upstream echoing the Authorization header, say),
// the key is redacted and the chain is cut, so that no caller can log it by
// unwrapping.
func (c *Client) wrapErr(op string, err error) error {
	if msg := err.Error(); c.secretKey != "" && strings.Contains(msg, c.secretKey) {
		return fmt.Errorf("stripe: %s: %s", op, strings.ReplaceAll(msg, c.secretKey, "[redacted]"))
	}
	return fmt.Errorf("stripe: %s: %w", op, err)
}
