package stripe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/stripe"
	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

const testKey = "sk_test_51SecretKeyThatMustNeverLeak"

func checkoutParams() payment.CheckoutParams {
	return payment.CheckoutParams{
		PurchaseID:     "pur_6650a1",
		CourseID:       "crs_77b2",
		UserID:         "usr_88c3",
		ProductName:    "Go for Grown-ups",
		ImageURL:       "https://cdn.example.com/thumbs/go.png",
		AmountCents:    1999,
		Currency:       "usd",
		SuccessURL:     "https://app.example.com/payment/success?session_id={CHECKOUT_SESSION_ID}",
		CancelURL:      "https://app.example.com/payment/cancel",
		IdempotencyKey: "checkout-pur_6650a1",
	}
}

func TestCreateCheckoutSessionSendsParams(t *testing.T) {
	rec := stripemock.NewRecorder(t, stripemock.Shared(t))
	c := stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: "whsec_x", APIBase: rec.URL})
	p := checkoutParams()

	var (
		s   payment.Session
		err error
	)
	out := captureOutput(t, func() { s, err = c.CreateCheckoutSession(context.Background(), p) })
	if err != nil {
		t.Fatalf("CreateCheckoutSession: %v", err)
	}
	if out != "" {
		t.Errorf("the client wrote output: %q", out)
	}

	reqs := rec.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/checkout/sessions" {
		t.Errorf("request %s %s, want POST /v1/checkout/sessions", r.Method, r.Path)
	}
	if got := r.Header.Get("Idempotency-Key"); got != p.IdempotencyKey {
		t.Errorf("Idempotency-Key %q, want %q", got, p.IdempotencyKey)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization %q, want the configured key", got)
	}
	want := url.Values{
		"mode":                                               {"payment"},
		"line_items[0][price_data][currency]":                {"usd"},
		"line_items[0][price_data][unit_amount]":             {"1999"},
		"line_items[0][price_data][product_data][name]":      {"Go for Grown-ups"},
		"line_items[0][price_data][product_data][images][0]": {"https://cdn.example.com/thumbs/go.png"},
		"line_items[0][quantity]":                            {"1"},
		"success_url":                                        {p.SuccessURL},
		"cancel_url":                                         {p.CancelURL},
		"client_reference_id":                                {"pur_6650a1"},
		"metadata[purchaseId]":                               {"pur_6650a1"},
		"metadata[courseId]":                                 {"crs_77b2"},
		"metadata[userId]":                                   {"usr_88c3"},
		"payment_intent_data[metadata][purchaseId]":          {"pur_6650a1"},
		"payment_intent_data[metadata][courseId]":            {"crs_77b2"},
		"payment_intent_data[metadata][userId]":              {"usr_88c3"},
	}
	assertForm(t, r.Form, want)

	// The answer is stripe-mock's fixture; the mapping must carry it over.
	if r.Status != http.StatusOK {
		t.Fatalf("stripe-mock answered %d: %v", r.Status, r.Response)
	}
	assertSession(t, s, r.Response)
	if !strings.HasPrefix(s.ID, "cs_") || s.URL == "" || s.Status != payment.SessionOpen {
		t.Errorf("session %+v: want an open cs_ session with a URL", s)
	}
}

func TestCreateCheckoutSessionWithoutImage(t *testing.T) {
	rec := stripemock.NewRecorder(t, stripemock.Shared(t))
	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: rec.URL})
	p := checkoutParams()
	p.ImageURL = ""
	if _, err := c.CreateCheckoutSession(context.Background(), p); err != nil {
		t.Fatalf("CreateCheckoutSession: %v", err)
	}
	r := rec.Requests()[0]
	for k := range r.Form {
		if strings.Contains(k, "[images]") {
			t.Errorf("sent %s=%q for an empty image URL", k, r.Form[k])
		}
	}
}

func TestGetCheckoutSession(t *testing.T) {
	rec := stripemock.NewRecorder(t, stripemock.Shared(t))
	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: rec.URL})

	s, err := c.GetCheckoutSession(context.Background(), "cs_test_a1b2c3")
	if err != nil {
		t.Fatalf("GetCheckoutSession: %v", err)
	}
	reqs := rec.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodGet || reqs[0].Path != "/v1/checkout/sessions/cs_test_a1b2c3" {
		t.Fatalf("requests %+v, want one GET /v1/checkout/sessions/cs_test_a1b2c3", reqs)
	}
	if s.ID != "cs_test_a1b2c3" {
		t.Errorf("ID %q, want cs_test_a1b2c3", s.ID)
	}
	assertSession(t, s, reqs[0].Response)
	if s.ExpiresAt.IsZero() || s.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt %v, want a UTC time", s.ExpiresAt)
	}
}

func TestGetCheckoutSessionEmptyID(t *testing.T) {
	rec := stripemock.NewRecorder(t, "http://127.0.0.1:1") // never reached
	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: rec.URL})
	for _, id := range []string{"", "  "} {
		if _, err := c.GetCheckoutSession(context.Background(), id); err == nil {
			t.Errorf("GetCheckoutSession(%q): no error", id)
		}
	}
	if n := len(rec.Requests()); n != 0 {
		t.Errorf("%d requests sent for an empty id", n)
	}
}

func TestExpireCheckoutSession(t *testing.T) {
	rec := stripemock.NewRecorder(t, stripemock.Shared(t))
	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: rec.URL})
	if err := c.ExpireCheckoutSession(context.Background(), "cs_test_a1b2c3"); err != nil {
		t.Fatalf("ExpireCheckoutSession: %v", err)
	}
	reqs := rec.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/v1/checkout/sessions/cs_test_a1b2c3/expire" {
		t.Fatalf("requests %+v, want one POST /v1/checkout/sessions/cs_test_a1b2c3/expire", reqs)
	}
	for _, id := range []string{"", "  "} {
		if err := c.ExpireCheckoutSession(context.Background(), id); err == nil {
			t.Errorf("ExpireCheckoutSession(%q): no error", id)
		}
	}
	if n := len(rec.Requests()); n != 1 {
		t.Errorf("%d requests, want no more for empty ids", n)
	}
}

func TestStripeDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now

	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: "http://" + addr, Timeout: 500 * time.Millisecond})
	start := time.Now()
	_, err = c.CreateCheckoutSession(context.Background(), checkoutParams())
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("CreateCheckoutSession against a closed port: no error")
	}
	if elapsed > 5*time.Second {
		t.Errorf("took %s to fail", elapsed)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the network error", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error contains the secret key: %v", err)
	}
	if _, err := c.GetCheckoutSession(context.Background(), "cs_test_1"); err == nil {
		t.Error("GetCheckoutSession against a closed port: no error")
	}
}

func TestStripeHangs(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees the handlers

	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: srv.URL, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.CreateCheckoutSession(context.Background(), checkoutParams())
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("CreateCheckoutSession against a hanging server: no error")
	}
	// Two attempts of 200 ms and one back-off sleep of at most a second.
	if elapsed > 3*time.Second {
		t.Errorf("took %s to time out", elapsed)
	}
}

func TestContextCancelStopsRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := stripe.New(stripe.Config{SecretKey: testKey, APIBase: srv.URL}) // default 15 s timeout
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetCheckoutSession(ctx, "cs_test_1")
	if err == nil {
		t.Fatal("no error after the context's deadline")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("took %s, the context allowed 200ms", elapsed)
	}
}

// stripe-mock echoes a malformed Authorization header in its error message;
// the key must not get through to errors or to the output.
func TestErrorsNeverContainTheKey(t *testing.T) {
	const badKey = "not_a_stripe_key_but_still_secret_42"
	c := stripe.New(stripe.Config{SecretKey: badKey, APIBase: stripemock.Shared(t)})
	var errs []error
	out := captureOutput(t, func() {
		_, err := c.CreateCheckoutSession(context.Background(), checkoutParams())
		errs = append(errs, err)
		_, err = c.GetCheckoutSession(context.Background(), "cs_test_1")
		errs = append(errs, err)
	})
	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d: no error with a malformed key", i)
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), badKey) {
				t.Errorf("call %d: error chain contains the key: %v", i, e)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("call %d: %v: want stripe-mock's message with the key redacted", i, err)
		}
	}
	if strings.Contains(out, badKey) || out != "" {
		t.Errorf("the client wrote output: %q", out)
	}
}

func assertForm(t *testing.T, got, want url.Values) {
	t.Helper()
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("param %s = %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected param %s = %q", k, v)
		}
	}
}

// assertSession compares s with the JSON session stripe-mock answered.
func assertSession(t *testing.T, s payment.Session, resp map[string]any) {
	t.Helper()
	str := func(k string) string { v, _ := resp[k].(string); return v }
	num := func(k string) int64 { v, _ := resp[k].(float64); return int64(v) }
	if s.ID != str("id") || s.URL != str("url") || s.Status != str("status") ||
		s.PaymentStatus != str("payment_status") || s.Currency != str("currency") ||
		s.AmountTotal != num("amount_total") {
		t.Errorf("session %+v does not match the response %v", s, resp)
	}
	if exp := num("expires_at"); exp != 0 && !s.ExpiresAt.Equal(time.Unix(exp, 0)) {
		t.Errorf("ExpiresAt %v, want %v", s.ExpiresAt, time.Unix(exp, 0))
	}
}
