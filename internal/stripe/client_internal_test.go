package stripe

import (
	"testing"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
)

func TestNewDefaults(t *testing.T) {
	c := New(Config{SecretKey: "sk_test_x"})
	if c.httpClient.Timeout != DefaultTimeout {
		t.Errorf("timeout %s, want %s", c.httpClient.Timeout, DefaultTimeout)
	}
	b, ok := c.api.CheckoutSessions.B.(*stripego.BackendImplementation)
	if !ok {
		t.Fatalf("backend is %T", c.api.CheckoutSessions.B)
	}
	if b.URL != stripego.APIURL {
		t.Errorf("API base %q, want %q", b.URL, stripego.APIURL)
	}
	if b.HTTPClient != c.httpClient {
		t.Error("the backend does not use the client's own HTTP client")
	}
	if l, ok := b.LeveledLogger.(*stripego.LeveledLogger); !ok || l.Level != stripego.LevelNull {
		t.Errorf("logger %#v, want a LevelNull logger", b.LeveledLogger)
	}
	if c.api.CheckoutSessions.Key != "sk_test_x" {
		t.Error("the key is not set on the checkout sessions client")
	}
}

func TestNewOwnsItsBackends(t *testing.T) {
	a := New(Config{APIBase: "http://127.0.0.1:1", Timeout: time.Second})
	b := New(Config{APIBase: "http://127.0.0.1:2/", Timeout: 2 * time.Second})
	ba := a.api.CheckoutSessions.B.(*stripego.BackendImplementation)
	bb := b.api.CheckoutSessions.B.(*stripego.BackendImplementation)
	if ba.URL != "http://127.0.0.1:1" || bb.URL != "http://127.0.0.1:2" {
		t.Errorf("API bases %q, %q", ba.URL, bb.URL)
	}
	if ba.HTTPClient.Timeout != time.Second || bb.HTTPClient.Timeout != 2*time.Second {
		t.Errorf("timeouts %s, %s", ba.HTTPClient.Timeout, bb.HTTPClient.Timeout)
	}
	if ba.MaxNetworkRetries != maxNetworkRetries {
		t.Errorf("retries %d, want %d", ba.MaxNetworkRetries, maxNetworkRetries)
	}
	// Global state stays untouched.
	if stripego.Key != "" {
		t.Error("stripe.Key was set")
	}
}
