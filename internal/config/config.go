// Package config loads the service's settings from the environment: defaults,
// parsing and validation in one place, with no globals.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/auth"
)

// Environments the service knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
	EnvTest        = "test"
)

// MinSecretBytes is the shortest SECRET_KEY production accepts.
const MinSecretBytes = 32

// Config holds every setting of the service.
type Config struct {
	Port      int
	AppEnv    string
	PublicURL string // the service's own external base URL, used in media links

	MongoURI string // empty: the embedded database under DataDir
	MongoDB  string
	DataDir  string

	SecretKey []byte

	ClientURLs []string // allowed SPA origins; the first one builds links

	StripeSecretKey     string
	StripeWebhookSecret string
	StripeSuccessURL    string
	StripeCancelURL     string
	StripeAPIBase       string

	SMTPURL          string
	MailFrom         string
	ResetPasswordURL string // contains "{token}"

	RedisURL        string
	RateLimitMax    int
	RateLimitWindow time.Duration
	AuthRateLimit   int // failed sign-ins per email and client address; forgot/reset requests per email or token
	AuthIPRateLimit int // requests to the auth routes per client address, across emails
	// VerifyRateLimit is the public certificate verification requests (JSON,
	// page and PDF) per client address and window.
	VerifyRateLimit int
	// CouponRateLimit is the quotes and checkouts with a coupon code per
	// client address and window (successful or not).
	CouponRateLimit int
	TrustedProxies  []netip.Prefix

	CookieSecure   bool
	CookieSameSite http.SameSite
	JWTExpiresIn   time.Duration
	BcryptCost     int

	MaxImageBytes int64
	MaxVideoBytes int64
	MediaURLTTL   time.Duration
	// MaxCaptionBytes caps an uploaded caption file (WebVTT or SRT).
	MaxCaptionBytes int64
	// AutoCompleteRatio is the share of a lecture's duration whose watching
	// marks it completed (0: never).
	AutoCompleteRatio float64
	// CatalogCacheTTL is how long a course read for display is reused;
	// another instance's catalog writes show after at most this (0: off).
	CatalogCacheTTL time.Duration
	// PasswordQueueWait is how long a sign-in (or any bcrypt call) waits
	// for a core before it is answered 503 server_busy.
	PasswordQueueWait time.Duration

	MaxImagePixels    int64         // width × height cap of an uploaded image
	UploadIdleTimeout time.Duration // an upload body that makes no progress for this long is dropped
	MaxUploadsPerUser int           // uploads one user may have in flight at once
	RequestTimeout    time.Duration // overall deadline of an API request (uploads: once the body is read)
	// WebhookAnswerWithin is how long a webhook delivery waits for its
	// event to be applied before it answers 200 and lets the work go on.
	WebhookAnswerWithin time.Duration

	S3Endpoint  string
	S3Bucket    string
	S3AccessKey string
	S3SecretKey string
	S3Region    string
	S3PublicURL string

	LogLevel  string
	LogFormat string

	// MetricsAddr, when set, is the listen address of a separate listener
	// for /metrics, which the API port then does not serve.
	MetricsAddr string

	// PruneEventsAfter, when set, makes serve delete, once a day, the
	// records of webhook events processed longer ago than this.
	PruneEventsAfter time.Duration
	// CertificateIssuer is the organisation certificates name as their
	// issuer (on the PDF and in LinkedIn's add-to-profile link).
	CertificateIssuer string
	// ReviewMinCompletion is the completion percentage (0–100) a student
	// needs before reviewing a course; 0 asks for none.
	ReviewMinCompletion int

	warnings []string
}

// Warnings are the settings start-up should warn about: weak secrets and
// costs outside production, and resets that cannot be delivered.
func (c *Config) Warnings() []string { return c.warnings }

// Production reports whether the service runs in production.
func (c *Config) Production() bool { return c.AppEnv == EnvProduction }

// PaymentsEnabled reports whether Stripe is configured.
func (c *Config) PaymentsEnabled() bool {
	return c.StripeSecretKey != "" && c.StripeWebhookSecret != ""
}

// ResetLink returns the password-reset link for token.
func (c *Config) ResetLink(token string) string {
	return strings.ReplaceAll(c.ResetPasswordURL, "{token}", url.PathEscape(token))
}

// Load reads the configuration through getenv. The first bad setting stops
// loading with an error naming the variable and what is wrong with it.
// In development without SECRET_KEY, a random key is generated once and kept
// in DATA_DIR so that sessions survive restarts.
func Load(getenv func(string) string) (*Config, error) {
	p := parser{getenv: getenv}
	c := &Config{
		Port:      p.intRange("PORT", 4000, 1, 65535),
		AppEnv:    p.oneOf("APP_ENV", EnvDevelopment, EnvDevelopment, EnvProduction, EnvTest),
		MongoURI:  p.str("MONGODB_URI", ""),
		MongoDB:   p.str("MONGODB_DB", "lms"),
		DataDir:   p.str("DATA_DIR", "./data"),
		SecretKey: []byte(p.str("SECRET_KEY", "")),

		StripeSecretKey:     p.str("STRIPE_SECRET_KEY", ""),
		StripeWebhookSecret: p.str("STRIPE_WEBHOOK_SECRET", ""),
		StripeSuccessURL:    p.url("STRIPE_SUCCESS_URL", "http://localhost:5173/payment/success?session_id={CHECKOUT_SESSION_ID}"),
		StripeCancelURL:     p.url("STRIPE_CANCEL_URL", "http://localhost:5173/payment/cancel"),
		StripeAPIBase:       p.url("STRIPE_API_BASE", ""),

		SMTPURL:  p.url("SMTP_URL", ""),
		MailFrom: p.str("MAIL_FROM", "LMS <no-reply@localhost>"),

		RedisURL:        p.url("REDIS_URL", ""),
		RateLimitMax:    p.intRange("RATE_LIMIT_MAX", 100, 1, 1<<30),
		RateLimitWindow: p.duration("RATE_LIMIT_WINDOW", 15*time.Minute),
		AuthRateLimit:   p.intRange("AUTH_RATE_LIMIT_MAX", 10, 1, 1<<30),
		AuthIPRateLimit: p.intRange("AUTH_IP_RATE_LIMIT_MAX", 30, 1, 1<<30),
		VerifyRateLimit: p.intRange("VERIFY_RATE_LIMIT_MAX", 60, 1, 1<<30),
		CouponRateLimit: p.intRange("COUPON_RATE_LIMIT_MAX", 30, 1, 1<<30),
		TrustedProxies:  p.prefixes("TRUSTED_PROXIES"),

		CookieSameSite: p.sameSite("COOKIE_SAMESITE"),
		JWTExpiresIn:   p.duration("JWT_EXPIRES_IN", 24*time.Hour),
		BcryptCost:     p.intRange("BCRYPT_COST", 12, 4, 31),

		MaxImageBytes:     p.bytes("MAX_IMAGE_BYTES", 5<<20),
		MaxVideoBytes:     p.bytes("MAX_VIDEO_BYTES", 2<<30),
		MediaURLTTL:       p.duration("MEDIA_URL_TTL", 2*time.Hour),
		MaxCaptionBytes:   p.bytes("MAX_CAPTION_BYTES", 1<<20),
		AutoCompleteRatio: p.ratio("AUTO_COMPLETE_RATIO", 0.9),
		CatalogCacheTTL:   p.staleness("CATALOG_CACHE_TTL", 5*time.Second),
		PasswordQueueWait: p.duration("PASSWORD_QUEUE_WAIT", auth.DefaultQueueWait),

		MaxImagePixels:    p.bytes("MAX_IMAGE_PIXELS", 40_000_000),
		UploadIdleTimeout: p.duration("UPLOAD_IDLE_TIMEOUT", 30*time.Second),
		MaxUploadsPerUser: p.intRange("MAX_UPLOADS_PER_USER", 3, 1, 1000),
		RequestTimeout:    p.duration("REQUEST_TIMEOUT", 15*time.Second),

		WebhookAnswerWithin: p.duration("WEBHOOK_ANSWER_WITHIN", 300*time.Millisecond),

		S3Endpoint:  p.url("S3_ENDPOINT", ""),
		S3Bucket:    p.str("S3_BUCKET", ""),
		S3AccessKey: p.str("S3_ACCESS_KEY", ""),
		S3SecretKey: p.str("S3_SECRET_KEY", ""),
		S3Region:    p.str("S3_REGION", "us-east-1"),
		S3PublicURL: p.url("S3_PUBLIC_URL", ""),

		LogLevel: p.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),

		MetricsAddr: p.listenAddr("METRICS_ADDR"),

		PruneEventsAfter:  p.age("PRUNE_EVENTS_AFTER"),
		CertificateIssuer: p.str("CERTIFICATE_ISSUER", "LMS"),

		ReviewMinCompletion: p.intRange("REVIEW_MIN_COMPLETION", 0, 0, 100),
	}
	c.PublicURL = strings.TrimSuffix(p.url("PUBLIC_URL", fmt.Sprintf("http://localhost:%d", c.Port)), "/")
	clientDefault := "http://localhost:5173"
	if c.Production() {
		clientDefault = "" // production must name its SPA origin(s)
	}
	c.ClientURLs = p.origins("CLIENT_URL", clientDefault)
	c.CookieSecure = p.boolean("COOKIE_SECURE", c.AppEnv == EnvProduction)
	defaultFormat := "json"
	if c.AppEnv == EnvDevelopment {
		defaultFormat = "text"
	}
	c.LogFormat = p.oneOf("LOG_FORMAT", defaultFormat, "json", "text")
	resetDefault := ""
	if len(c.ClientURLs) > 0 {
		resetDefault = c.ClientURLs[0] + "/reset-password/{token}"
	}
	c.ResetPasswordURL = p.url("RESET_PASSWORD_URL", resetDefault)
	if p.err != nil {
		return nil, p.err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) validate() error {
	if c.ResetPasswordURL != "" && !strings.Contains(c.ResetPasswordURL, "{token}") {
		return errors.New("RESET_PASSWORD_URL: must contain {token}")
	}
	if (c.S3Endpoint == "") != (c.S3Bucket == "") {
		return errors.New("S3_ENDPOINT, S3_BUCKET: set both or neither")
	}
	if c.CookieSameSite == http.SameSiteNoneMode && !c.CookieSecure {
		return errors.New("COOKIE_SAMESITE: None requires COOKIE_SECURE=true")
	}
	if c.Production() && len(c.SecretKey) < MinSecretBytes {
		return fmt.Errorf("SECRET_KEY: production needs at least %d bytes", MinSecretBytes)
	}
	if err := c.checkStrength(); err != nil {
		return err
	}
	if !c.Production() {
		return nil
	}
	if c.SMTPURL == "" {
		c.warnings = append(c.warnings, "SMTP_URL: empty in production: password-reset mails cannot be delivered (their links are never logged)")
	}
	if c.MongoURI == "" {
		return errors.New("MONGODB_URI: production needs a MongoDB server")
	}
	if len(c.ClientURLs) == 0 {
		return errors.New("CLIENT_URL: production needs at least one origin")
	}
	return nil
}

// EnsureSecret fills SecretKey when it is empty (development and test only):
// it reads DATA_DIR/secret.key, creating it with a random key the first time.
func (c *Config) EnsureSecret() error {
	if len(c.SecretKey) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= MinSecretBytes {
		c.SecretKey = b
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("DATA_DIR: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("generate secret key: %w", err)
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return fmt.Errorf("DATA_DIR: keep secret key: %w", err)
	}
	c.SecretKey = key
	return nil
}

// parser reads variables and remembers the first error.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		p.fail(name, "want a whole number from %d to %d, got %q", lo, hi, v)
		return def
	}
	return n
}

// ratio reads a share from 0 to 1.
func (p *parser) ratio(name string, def float64) float64 {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(f >= 0 && f <= 1) {
		p.fail(name, "want a number from 0 to 1, got %q", v)
		return def
	}
	return f
}

func (p *parser) bytes(name string, def int64) int64 {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		p.fail(name, "want a positive number of bytes, got %q", v)
		return def
	}
	return n
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		p.fail(name, "want a positive duration such as 15m or 24h, got %q", v)
		return def
	}
	return d
}

// maxStaleness bounds how stale a cached read may be across instances.
const maxStaleness = 5 * time.Second

// staleness is a duration from 0 (no caching) to maxStaleness.
func (p *parser) staleness(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	if v == "0" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxStaleness {
		p.fail(name, "want 0 or a duration up to %s such as 2s, got %q", maxStaleness, v)
		return def
	}
	return d
}

// age reads an optional age such as 30d or 720h; zero when unset.
func (p *parser) age(name string) time.Duration {
	v := p.getenv(name)
	if v == "" {
		return 0
	}
	d, err := ParseAge(v)
	if err != nil {
		p.fail(name, "want a positive age such as 30d or 72h, got %q", v)
		return 0
	}
	return d
}

// ParseAge parses a positive age: a whole number of days ("30d") or a Go
// duration ("72h", "90m").
func ParseAge(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*365 {
			return 0, fmt.Errorf("invalid age %q: want a whole number of days such as 30d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid age %q: want a positive duration such as 30d or 72h", v)
	}
	return d, nil
}

func (p *parser) boolean(name string, def bool) bool {
	v := p.getenv(name)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		p.fail(name, "want true or false, got %q", v)
		return def
	}
	return b
}

// listenAddr reads an optional host:port to listen on (":9090" for every
// interface).
func (p *parser) listenAddr(name string) string {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		p.fail(name, "want host:port or :port, got %q", v)
		return ""
	}
	return v
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	p.fail(name, "want one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

func (p *parser) url(name, def string) string {
	v := p.str(name, def)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		p.fail(name, "want an absolute URL, got %q", redactURL(v, u, err))
		return ""
	}
	return v
}

// redactURL is the raw URL v for an error message, with any password in it
// masked (SMTP_URL and REDIS_URL carry credentials). u and err are what
// url.Parse made of v.
func redactURL(v string, u *url.URL, err error) string {
	if err == nil {
		return u.Redacted()
	}
	// Unparsable: mask all between the scheme and the last "@".
	at := strings.LastIndex(v, "@")
	if at < 0 {
		return v
	}
	start := 0
	if i := strings.Index(v, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return v[:start] + "xxxxx" + v[at:]
}

func (p *parser) origins(name, def string) []string {
	var out []string
	for _, o := range strings.Split(p.str(name, def), ",") {
		o = strings.TrimSuffix(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		origin, ok := normalizeOrigin(o)
		if !ok {
			p.fail(name, "want comma-separated origins such as https://app.example.com, got %q", o)
			return nil
		}
		out = append(out, origin)
	}
	return out
}

func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range strings.Split(p.getenv(name), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				p.fail(name, "want comma-separated CIDRs, got %q", s)
				return nil
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, pfx.Masked())
	}
	return out
}

func (p *parser) sameSite(name string) http.SameSite {
	switch v := strings.ToLower(strings.TrimSpace(p.getenv(name))); v {
	case "", "strict":
		return http.SameSiteStrictMode
	case "lax":
		return http.SameSiteLaxMode
	case "none":
		return http.SameSiteNoneMode
	default:
		p.fail(name, "want Strict, Lax or None, got %q", v)
		return http.SameSiteStrictMode
	}
}
