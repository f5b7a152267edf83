package config_test

import (
	"bytes"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/config"
)

// envOf returns a getenv over vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// with returns base plus overrides, leaving base untouched.
func with(base map[string]string, overrides map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(overrides))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overrides {
		out[k] = v
	}
	return out
}

// strongSecret is a SECRET_KEY production accepts (openssl rand -base64 36).
const strongSecret = "q0V8pY3kN7xWc2LrT9bZfH4mJ6sD1gA5uE8iO3tRyKwX"

// productionEnv is a complete, valid production configuration.
func productionEnv() map[string]string {
	return map[string]string{
		"APP_ENV":     "production",
		"SECRET_KEY":  strongSecret,
		"MONGODB_URI": "mongodb://db.internal:27017",
		"CLIENT_URL":  "https://app.example.com",
	}
}

// loadFails loads env and asserts an error on one line that names variable.
func loadFails(t *testing.T, env map[string]string, variable string) {
	t.Helper()
	cfg, err := config.Load(envOf(env))
	if err == nil {
		t.Fatalf("Load accepted %v: got %+v", env, cfg)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, variable+":") && !strings.HasPrefix(msg, variable+",") {
		t.Errorf("error %q does not start with the variable name %s", msg, variable)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error %q is not one line", msg)
	}
}

func TestLoadRejectsEachBadVariable(t *testing.T) {
	tests := []struct {
		name  string
		value string
		extra map[string]string
	}{
		{"PORT", "abc", nil},
		{"PORT", "0", nil},
		{"PORT", "65536", nil},
		{"PORT", "-1", nil},
		{"APP_ENV", "staging", nil},
		{"RATE_LIMIT_MAX", "lots", nil},
		{"RATE_LIMIT_MAX", "0", nil},
		{"RATE_LIMIT_WINDOW", "15", nil},
		{"RATE_LIMIT_WINDOW", "-1m", nil},
		{"AUTH_RATE_LIMIT_MAX", "ten", nil},
		{"AUTH_IP_RATE_LIMIT_MAX", "0", nil},
		{"COUPON_RATE_LIMIT_MAX", "0", nil},
		{"COUPON_RATE_LIMIT_MAX", "many", nil},
		{"REVIEW_MIN_COMPLETION", "101", nil},
		{"REVIEW_MIN_COMPLETION", "-1", nil},
		{"REVIEW_MIN_COMPLETION", "half", nil},
		{"CATALOG_CACHE_TTL", "6s", nil},
		{"CATALOG_CACHE_TTL", "-1s", nil},
		{"CATALOG_CACHE_TTL", "soon", nil},
		{"PASSWORD_QUEUE_WAIT", "0s", nil},
		{"PASSWORD_QUEUE_WAIT", "soon", nil},
		{"METRICS_ADDR", "9090", nil},
		{"METRICS_ADDR", "localhost:http-alt", nil},
		{"PRUNE_EVENTS_AFTER", "30", nil},
		{"PRUNE_EVENTS_AFTER", "0d", nil},
		{"PRUNE_EVENTS_AFTER", "-1h", nil},
		{"PRUNE_EVENTS_AFTER", "1.5d", nil},
		{"COOKIE_SECURE", "maybe", nil},
		{"COOKIE_SAMESITE", "sometimes", nil},
		{"COOKIE_SAMESITE", "None", map[string]string{"COOKIE_SECURE": "false"}},
		{"JWT_EXPIRES_IN", "1 day", nil},
		{"JWT_EXPIRES_IN", "0s", nil},
		{"BCRYPT_COST", "3", nil},
		{"BCRYPT_COST", "32", nil},
		{"BCRYPT_COST", "twelve", nil},
		{"MAX_IMAGE_BYTES", "5MB", nil},
		{"MAX_IMAGE_BYTES", "0", nil},
		{"MAX_VIDEO_BYTES", "-1", nil},
		{"MEDIA_URL_TTL", "forever", nil},
		{"MAX_CAPTION_BYTES", "0", nil},
		{"AUTO_COMPLETE_RATIO", "1.5", nil},
		{"AUTO_COMPLETE_RATIO", "-0.1", nil},
		{"AUTO_COMPLETE_RATIO", "NaN", nil},
		{"AUTO_COMPLETE_RATIO", "most", nil},
		{"MAX_IMAGE_PIXELS", "0", nil},
		{"UPLOAD_IDLE_TIMEOUT", "soon", nil},
		{"MAX_UPLOADS_PER_USER", "0", nil},
		{"REQUEST_TIMEOUT", "-1s", nil},
		{"WEBHOOK_ANSWER_WITHIN", "fast", nil},
		{"CLIENT_URL", "not a url", nil},
		{"CLIENT_URL", "ftp://files.example.com", nil},
		{"CLIENT_URL", "https://app.example.com/path", nil},
		{"CLIENT_URL", "https://ok.example.com,javascript:alert(1)", nil},
		{"CLIENT_URL", "https://app.example.com/?x=1", nil},
		{"CLIENT_URL", "https://user@app.example.com", nil},
		{"TRUSTED_PROXIES", "10.0.0.0/8,not-a-cidr", nil},
		{"TRUSTED_PROXIES", "10.0.0.0/33", nil},
		{"STRIPE_API_BASE", "localhost:12111", nil},
		{"STRIPE_SUCCESS_URL", "/payment/success", nil},
		{"STRIPE_CANCEL_URL", "cancel", nil},
		{"SMTP_URL", "smtp-server", nil},
		{"REDIS_URL", "redis", nil},
		{"PUBLIC_URL", "api.example.com", nil},
		{"S3_PUBLIC_URL", "cdn", nil},
		{"LOG_LEVEL", "verbose", nil},
		{"LOG_FORMAT", "xml", nil},
		{"RESET_PASSWORD_URL", "reset", nil},
		{"RESET_PASSWORD_URL", "https://app.example.com/reset", nil}, // no {token}
		{"S3_ENDPOINT", "http://s3.local:9000", nil},                 // without S3_BUCKET
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			loadFails(t, with(tt.extra, map[string]string{tt.name: tt.value}), tt.name)
		})
	}
}

// A bad URL is quoted in the error, but never a password in it.
func TestLoadErrorHidesURLPasswords(t *testing.T) {
	for _, env := range []map[string]string{
		{"REDIS_URL": "redis://:hunter2@"},
		{"SMTP_URL": "smtp://mailer:hunter2@"},
		{"SMTP_URL": "smtp://mailer:hunter2@bad host"},
		{"SMTP_URL": "smtp://mailer:hunter2@%zz"},
	} {
		for name, value := range env {
			loadFails(t, env, name)
			_, err := config.Load(envOf(env))
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s=%s: error %q shows the password", name, value, err)
			}
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := config.Load(envOf(nil))
	if err != nil {
		t.Fatalf("Load with no settings: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Port", cfg.Port, 4000},
		{"AppEnv", cfg.AppEnv, config.EnvDevelopment},
		{"MongoURI", cfg.MongoURI, ""},
		{"MongoDB", cfg.MongoDB, "lms"},
		{"DataDir", cfg.DataDir, "./data"},
		{"SecretKey", string(cfg.SecretKey), ""},
		{"PublicURL", cfg.PublicURL, "http://localhost:4000"},
		{"CatalogCacheTTL", cfg.CatalogCacheTTL, 5 * time.Second},
		{"PasswordQueueWait", cfg.PasswordQueueWait, 2 * time.Second},
		{"ClientURLs", strings.Join(cfg.ClientURLs, ","), "http://localhost:5173"},
		{"StripeSuccessURL", cfg.StripeSuccessURL, "http://localhost:5173/payment/success?session_id={CHECKOUT_SESSION_ID}"},
		{"StripeCancelURL", cfg.StripeCancelURL, "http://localhost:5173/payment/cancel"},
		{"StripeAPIBase", cfg.StripeAPIBase, ""},
		{"PaymentsEnabled", cfg.PaymentsEnabled(), false},
		{"ResetPasswordURL", cfg.ResetPasswordURL, "http://localhost:5173/reset-password/{token}"},
		{"RedisURL", cfg.RedisURL, ""},
		{"RateLimitMax", cfg.RateLimitMax, 100},
		{"RateLimitWindow", cfg.RateLimitWindow, 15 * time.Minute},
		{"AuthRateLimit", cfg.AuthRateLimit, 10},
		{"AuthIPRateLimit", cfg.AuthIPRateLimit, 30},
		{"CouponRateLimit", cfg.CouponRateLimit, 30},
		{"MetricsAddr", cfg.MetricsAddr, ""},
		{"ReviewMinCompletion", cfg.ReviewMinCompletion, 0},
		{"PruneEventsAfter", cfg.PruneEventsAfter, time.Duration(0)},
		{"TrustedProxies", len(cfg.TrustedProxies), 0},
		{"CookieSecure", cfg.CookieSecure, false},
		{"CookieSameSite", cfg.CookieSameSite, http.SameSiteStrictMode},
		{"JWTExpiresIn", cfg.JWTExpiresIn, 24 * time.Hour},
		{"BcryptCost", cfg.BcryptCost, 12},
		{"MaxImageBytes", cfg.MaxImageBytes, int64(5 << 20)},
		{"MaxVideoBytes", cfg.MaxVideoBytes, int64(2 << 30)},
		{"MediaURLTTL", cfg.MediaURLTTL, 2 * time.Hour},
		{"MaxCaptionBytes", cfg.MaxCaptionBytes, int64(1 << 20)},
		{"AutoCompleteRatio", cfg.AutoCompleteRatio, 0.9},
		{"MaxImagePixels", cfg.MaxImagePixels, int64(40_000_000)},
		{"UploadIdleTimeout", cfg.UploadIdleTimeout, 30 * time.Second},
		{"MaxUploadsPerUser", cfg.MaxUploadsPerUser, 3},
		{"RequestTimeout", cfg.RequestTimeout, 15 * time.Second},
		{"WebhookAnswerWithin", cfg.WebhookAnswerWithin, 300 * time.Millisecond},
		{"S3Endpoint", cfg.S3Endpoint, ""},
		{"LogLevel", cfg.LogLevel, "info"},
		{"LogFormat", cfg.LogFormat, "text"},
		{"Production", cfg.Production(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadProductionDefaults(t *testing.T) {
	cfg, err := config.Load(envOf(productionEnv()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !cfg.Production() || !cfg.CookieSecure || cfg.LogFormat != "json" {
		t.Errorf("production: Production=%v CookieSecure=%v LogFormat=%q; want true, true, json",
			cfg.Production(), cfg.CookieSecure, cfg.LogFormat)
	}
}

func TestLoadParsesValues(t *testing.T) {
	cfg, err := config.Load(envOf(map[string]string{
		"PORT":              " 8080 ",
		"APP_ENV":           "TEST",
		"CLIENT_URL":        "https://a.example.com/, http://localhost:3000",
		"TRUSTED_PROXIES":   "10.0.0.0/8, 192.168.1.7",
		"RATE_LIMIT_WINDOW": "1m",
		"COOKIE_SAMESITE":   "lax",
		"COOKIE_SECURE":     "true",
		"LOG_LEVEL":         "DEBUG",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Port != 8080 || cfg.AppEnv != config.EnvTest || cfg.RateLimitWindow != time.Minute ||
		cfg.CookieSameSite != http.SameSiteLaxMode || !cfg.CookieSecure || cfg.LogLevel != "debug" {
		t.Errorf("parsed %+v", cfg)
	}
	if want := []string{"https://a.example.com", "http://localhost:3000"}; !slices.Equal(cfg.ClientURLs, want) {
		t.Errorf("ClientURLs = %q, want %q", cfg.ClientURLs, want)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	if !slices.Equal(cfg.TrustedProxies, wantProxies) {
		t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, wantProxies)
	}
	if got := cfg.ResetLink("a b"); got != "https://a.example.com/reset-password/a%20b" {
		t.Errorf("ResetLink = %q", got)
	}
}

func TestLoadProductionRequirements(t *testing.T) {
	tests := []struct {
		name     string
		override map[string]string
		variable string
	}{
		{"no secret", map[string]string{"SECRET_KEY": ""}, "SECRET_KEY"},
		{"short secret", map[string]string{"SECRET_KEY": strings.Repeat("k", config.MinSecretBytes-1)}, "SECRET_KEY"},
		{"no database", map[string]string{"MONGODB_URI": ""}, "MONGODB_URI"},
		{"empty client url", map[string]string{"CLIENT_URL": ""}, "CLIENT_URL"},
		{"blank client url list", map[string]string{"CLIENT_URL": " , "}, "CLIENT_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loadFails(t, with(productionEnv(), tt.override), tt.variable)
		})
	}
	if _, err := config.Load(envOf(productionEnv())); err != nil {
		t.Errorf("complete production configuration refused: %v", err)
	}
}

func TestEnsureSecretCreatesOnceAndReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	load := func() *config.Config {
		t.Helper()
		cfg, err := config.Load(envOf(map[string]string{"DATA_DIR": dir}))
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if err := cfg.EnsureSecret(); err != nil {
			t.Fatalf("EnsureSecret: %v", err)
		}
		return cfg
	}
	first := load()
	if len(first.SecretKey) < config.MinSecretBytes {
		t.Fatalf("generated key has %d bytes, want at least %d", len(first.SecretKey), config.MinSecretBytes)
	}
	path := filepath.Join(dir, "secret.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("secret.key not kept: %v", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("secret.key mode %v is readable by others", perm)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, first.SecretKey) {
		t.Errorf("file holds %q, config holds %q", onDisk, first.SecretKey)
	}

	second := load()
	if !bytes.Equal(second.SecretKey, first.SecretKey) {
		t.Errorf("second start got a new key %q, want the kept %q", second.SecretKey, first.SecretKey)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, onDisk) {
		t.Errorf("secret.key was rewritten")
	}
}

func TestEnsureSecretKeepsGivenKey(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Load(envOf(map[string]string{"DATA_DIR": dir, "SECRET_KEY": "given-secret"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := cfg.EnsureSecret(); err != nil {
		t.Fatalf("EnsureSecret: %v", err)
	}
	if string(cfg.SecretKey) != "given-secret" {
		t.Errorf("SecretKey = %q, want the given one", cfg.SecretKey)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); !os.IsNotExist(err) {
		t.Errorf("secret.key written although SECRET_KEY was set (stat err %v)", err)
	}
}

func TestLoadPruneEventsAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "72h": 72 * time.Hour, " 1d ": 24 * time.Hour} {
		cfg, err := config.Load(envOf(map[string]string{"PRUNE_EVENTS_AFTER": v}))
		if err != nil || cfg.PruneEventsAfter != want {
			t.Errorf("PRUNE_EVENTS_AFTER=%q: %v, %v; want %v", v, err, cfg.PruneEventsAfter, want)
		}
	}
}
