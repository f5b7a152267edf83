package httpapi

import (
	"net/http"
	"net/netip"
	"time"
)

// Options are the settings the HTTP layer uses (internal/app takes them
// from the configuration).
type Options struct {
	// Development adds the cause of a 500 to its body (as "stack").
	Development bool
	// Production sends HSTS.
	Production bool
	// ClientURLs are the SPA origins allowed by CORS and the cross-origin
	// write check, normalised.
	ClientURLs []string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix

	CookieSecure   bool
	CookieSameSite http.SameSite

	RateLimitMax    int           // requests per client and window on /api
	RateLimitWindow time.Duration // the window of every rate limit
	AuthRateLimit   int           // failed sign-ins per email and client; forgot/reset per email or token
	AuthIPRateLimit int           // auth requests per client, across emails
	VerifyRateLimit int           // public certificate verifications per client (JSON, page, PDF)
	CouponRateLimit int           // quotes and checkouts with a coupon code per client

	// PublicURL is this service's external origin (no trailing slash):
	// certificate verification URLs are built on it.
	PublicURL string
	// CertificateIssuer is the organisation certificates name as issuer.
	CertificateIssuer string

	RequestTimeout    time.Duration // overall deadline of an API request
	UploadIdleTimeout time.Duration // an upload body without progress for this long is dropped
	MaxUploadsPerUser int           // uploads one user may have in flight at once

	// CatalogCacheTTL is how long anonymous catalog answers are shared
	// (0: not at all).
	CatalogCacheTTL time.Duration
}
