// Package stripe implements payment.Provider over stripe-go: hosted Checkout
// Sessions and signed webhook events.
//
// The package keeps no global state: every Client owns its stripe-go backends
// and HTTP client, so several clients (for example one per test, each pointed
// at its own stripe-mock) can live in one process.
package stripe

import (
	"net/http"
	"time"

	stripego "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/lms-backend/lms/internal/payment"
)

// DefaultTimeout bounds one HTTP request to Stripe when Config.Timeout is
// zero. stripe-go's own default is 80 s, far too long for a user waiting on a
// checkout page.
const DefaultTimeout = 15 * time.Second

// WebhookTolerance is how far a webhook's signed timestamp may lie from now,
// in the past or in the future, before the event is refused.
const WebhookTolerance = 5 * time.Minute

// maxNetworkRetries is how often stripe-go retries a request that failed on
// the network or with a retryable status. Requests that create objects carry
// an idempotency key, so a retry never opens a second session; one retry
// rides out a blip without multiplying the worst-case wait by three.
const maxNetworkRetries = 1

// Config configures a Client.
type Config struct {
	// SecretKey is the Stripe API key (sk_...). It is sent only in the
	// Authorization header and never appears in errors or logs.
	SecretKey string
	// WebhookSecret is the endpoint's signing secret (whsec_...).
	WebhookSecret string
	// APIBase is the API's base URL; empty means Stripe's
	// (https://api.stripe.com). Tests point it at stripe-mock.
	APIBase string
	// Timeout bounds one HTTP request; zero means DefaultTimeout.
	Timeout time.Duration
}

// Client is a payment.Provider backed by the Stripe API.
type Client struct {
	api           *client.API
	secretKey     string
	webhookSecret string
	httpClient    *http.Client
}

var _ payment.Provider = (*Client)(nil)

// New returns a Client for cfg. It does no I/O.
func New(cfg Config) *Client {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	httpClient := &http.Client{Timeout: timeout}
	backend := func(typ stripego.SupportedBackend, base string) stripego.Backend {
		bc := &stripego.BackendConfig{
			HTTPClient:        httpClient,
			LeveledLogger:     &stripego.LeveledLogger{Level: stripego.LevelNull},
			MaxNetworkRetries: stripego.Int64(maxNetworkRetries),
		}
		if base != "" {
			bc.URL = stripego.String(base)
		}
		return stripego.GetBackendWithConfig(typ, bc)
	}
	backends := &stripego.Backends{
		API:     backend(stripego.APIBackend, cfg.APIBase),
		Connect: backend(stripego.ConnectBackend, ""),
		Uploads: backend(stripego.UploadsBackend, ""),
	}
	return &Client{
		api:           client.New(cfg.SecretKey, backends),
		secretKey:     cfg.SecretKey,
		webhookSecret: cfg.WebhookSecret,
		httpClient:    httpClient,
	}
}
