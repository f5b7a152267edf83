// Package app assembles the service: it opens the database (embedded or
// MongoDB) and wires repositories, services and the HTTP handler. The
// command and the integration tests build the service the same way.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-chi/httprate"
	httprateredis "github.com/go-chi/httprate-redis"
	"github.com/redis/go-redis/v9"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/certificate"
	"github.com/lms-backend/lms/internal/certpdf"
	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/coupon"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/embeddeddb"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/httpapi"
	"github.com/lms-backend/lms/internal/insights"
	"github.com/lms-backend/lms/internal/mail"
	"github.com/lms-backend/lms/internal/media"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
	"github.com/lms-backend/lms/internal/review"
	"github.com/lms-backend/lms/internal/user"
)

// App is the assembled service.
type App struct {
	Config  *config.Config
	Logger  *slog.Logger
	DB      *mongodb.DB
	Users   *user.Service
	Handler http.Handler
	// Metrics serves /metrics when METRICS_ADDR gives it a listener of
	// its own; nil otherwise (Handler serves it).
	Metrics http.Handler

	// Payments runs checkout, webhook events and reconcile.
	Payments *payment.Service
}

// New wires the service over an open database.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, db *mongodb.DB) (*App, error) {
	for _, w := range cfg.Warnings() {
		logger.Warn("configuration: " + w)
	}
	store, err := newMediaStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	mailer, err := newMailer(cfg, logger)
	if err != nil {
		return nil, err
	}
	courses := mongodb.NewCourseRepo(db)
	progressRepo := mongodb.NewProgressRepo(db)
	enrolments := enrolment.NewService(enrolment.Deps{Repo: mongodb.NewEnrolmentRepo(db)})
	courseService := course.NewService(course.Deps{
		Repo: courses, Entitlement: enrolments, Progress: progressRepo, Media: store, CacheTTL: cfg.CatalogCacheTTL,
	})
	certificates := certificate.NewService(certificate.Deps{
		Repo: mongodb.NewCertificateRepo(db), Catalog: courseService, Entitlement: enrolments, Progress: progressRepo,
	})
	coupons := coupon.NewService(coupon.Deps{Repo: mongodb.NewCouponRepo(db), Catalog: courseService})
	reviews := review.NewService(review.Deps{
		Repo: mongodb.NewReviewRepo(db), Catalog: courseService, Enrolments: enrolments, Progress: progressRepo,
		MinCompletion: cfg.ReviewMinCompletion,
	})
	payments := newPayments(cfg, logger, db, courseService, enrolments, certificates, coupons, reviews, store)
	users := user.NewService(user.Deps{
		Repo:         mongodb.NewUserRepo(db),
		Courses:      courseService,
		Progress:     progressRepo,
		Certificates: certificates,
		Reviews:      reviews,
		Enrolments:   enrolments,
		Media:        store,
		Mailer:       mailer,
		Passwords:    auth.NewPasswords(cfg.BcryptCost, cfg.PasswordQueueWait),
		Tokens:       auth.NewTokens(cfg.SecretKey, cfg.JWTExpiresIn),
		ResetLink:    cfg.ResetLink,
		Logger:       logger,
	})
	newCounter, err := newRateLimitCounter(cfg, logger)
	if err != nil {
		return nil, err
	}
	var metrics http.Handler
	var serveMetrics func(http.Handler)
	if cfg.MetricsAddr != "" {
		serveMetrics = func(h http.Handler) { metrics = h }
	}
	h, err := httpapi.NewServer(httpapi.Deps{
		Options: httpOptions(cfg), Logger: logger, DB: db,
		Users: users, Courses: courseService, Media: store,
		Progress: progress.NewService(progress.Deps{
			Repo: progressRepo, Catalog: courseService, Entitlement: enrolments, AutoComplete: cfg.AutoCompleteRatio,
		}),
		Payments:            payments,
		Certificates:        certificates,
		Coupons:             coupons,
		Insights:            insights.NewService(insights.Deps{Catalog: courseService, Source: mongodb.NewInsightsSource(db)}),
		Reviews:             reviews,
		PDF:                 certpdf.NewRenderer(certpdf.DefaultConcurrency, certpdf.DefaultTimeout),
		NewRateLimitCounter: newCounter,
		ServeMetrics:        serveMetrics,
	})
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, Logger: logger, DB: db, Users: users, Handler: h, Metrics: metrics, Payments: payments}, nil
}

// httpOptions are the settings of the HTTP layer.
func httpOptions(cfg *config.Config) httpapi.Options {
	return httpapi.Options{
		Development: cfg.AppEnv == config.EnvDevelopment, Production: cfg.Production(),
		ClientURLs: cfg.ClientURLs, TrustedProxies: cfg.TrustedProxies,
		CookieSecure: cfg.CookieSecure, CookieSameSite: cfg.CookieSameSite,
		RateLimitMax: cfg.RateLimitMax, RateLimitWindow: cfg.RateLimitWindow,
		AuthRateLimit: cfg.AuthRateLimit, AuthIPRateLimit: cfg.AuthIPRateLimit, VerifyRateLimit: cfg.VerifyRateLimit,
		CouponRateLimit: cfg.CouponRateLimit,
		PublicURL:       cfg.PublicURL, CertificateIssuer: cfg.CertificateIssuer,
		RequestTimeout: cfg.RequestTimeout, UploadIdleTimeout: cfg.UploadIdleTimeout,
		MaxUploadsPerUser: cfg.MaxUploadsPerUser, CatalogCacheTTL: cfg.CatalogCacheTTL,
	}
}

func newMediaStore(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*media.Store, error) {
	var backend media.Backend
	if cfg.S3Endpoint != "" {
		s3, err := media.NewS3(ctx, media.S3Config{
			Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Region: cfg.S3Region, PublicURL: cfg.S3PublicURL,
		})
		if err != nil {
			return nil, fmt.Errorf("S3_ENDPOINT: %w", err)
		}
		backend = s3
	} else {
		local, err := media.NewLocal(filepath.Join(cfg.DataDir, "media"))
		if err != nil {
			return nil, fmt.Errorf("DATA_DIR: %w", err)
		}
		backend = local
	}
	tmp := filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	sweepTemp(tmp, cfg.UploadIdleTimeout, logger)
	return media.NewStore(backend, media.Config{
		TempDir:         tmp,
		MaxImageBytes:   cfg.MaxImageBytes,
		MaxVideoBytes:   cfg.MaxVideoBytes,
		MaxImagePixels:  cfg.MaxImagePixels,
		MaxCaptionBytes: cfg.MaxCaptionBytes,
		URLTTL:          cfg.MediaURLTTL,
		SigningKey:      cfg.SecretKey,
		PublicBaseURL:   cfg.PublicURL,
		Logger:          logger,
	}), nil
}

// sweepTemp removes the upload temporary files that a crash or an
// interrupted shutdown left in dir: those untouched for longer than an
// upload may sit idle, so that a live upload of another instance sharing
// dir is spared.
func sweepTemp(dir string, idle time.Duration, logger *slog.Logger) {
	n, err := media.SweepTemp(dir, time.Now().Add(-idle))
	if err != nil {
		logger.Warn("sweep upload temp files", "dir", dir, "err", err)
	}
	if n > 0 {
		logger.Info("removed stale upload temp files", "dir", dir, "count", n)
	}
}

// SweepTempFiles repeats the start-up sweep of stale upload temporary files
// every interval until ctx ends, for files that a crash of another
// instance sharing DATA_DIR leaves behind.
func (a *App) SweepTempFiles(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sweepTemp(filepath.Join(a.Config.DataDir, "tmp"), a.Config.UploadIdleTimeout, a.Logger)
		}
	}
}

// SettleWebhookEvents applies, every interval until ctx ends, the webhook
// events that were acknowledged to Stripe but whose processing failed or
// whose process died (payment.Service.SettleStale).
func (a *App) SettleWebhookEvents(ctx context.Context, interval time.Duration) {
	if !a.Payments.Configured() {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := a.Payments.SettleStale(ctx); err != nil {
			a.Logger.Warn("settle stale webhook events", "settled", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func newMailer(cfg *config.Config, logger *slog.Logger) (user.Mailer, error) {
	if cfg.SMTPURL == "" {
		// A reset link is never logged in production.
		return mail.NewLog(logger, !cfg.Production()), nil
	}
	m, err := mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL, MAIL_FROM: %w", err)
	}
	return m, nil
}

// newRateLimitCounter returns a maker of Redis-backed counters when
// REDIS_URL is set, nil otherwise. When Redis fails, counters fall back to
// in-process ones until it answers again.
func newRateLimitCounter(cfg *config.Config, logger *slog.Logger) (func() httprate.LimitCounter, error) {
	if cfg.RedisURL == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.MaxRetries = time.Second, 200*time.Millisecond, 200*time.Millisecond, -1
	client := redis.NewClient(opts)
	n := 0
	return func() httprate.LimitCounter {
		n++
		return httprateredis.NewCounter(&httprateredis.Config{
			Client:    client,
			PrefixKey: fmt.Sprintf("lms:ratelimit:%d", n),
			OnError:   func(err error) { logger.Warn("rate limit counter", "err", err) },
		})
	}, nil
}

// Migrate creates the database indexes and runs the data migrations
// (mongodb.DB.Migrate), retrying until the database answers or ctx ends, so
// that a database that is down at start-up does not stop the service.
func (a *App) Migrate(ctx context.Context) {
	for delay := time.Second; ; delay = min(delay*2, 30*time.Second) {
		err := a.DB.Migrate(ctx)
		if err == nil {
			a.Logger.Info("database indexes and data ready")
			return
		}
		a.Logger.Warn("database indexes or data not ready; retrying", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// OpenDB connects to MONGODB_URI, or starts the embedded database under
// DATA_DIR when it is empty. The returned function closes both.
func OpenDB(cfg *config.Config, logger *slog.Logger) (*mongodb.DB, func(), error) {
	uri := cfg.MongoURI
	var embedded *embeddeddb.Server
	if uri == "" {
		var err error
		embedded, err = embeddeddb.Start(cfg.DataDir, logger)
		if err != nil {
			return nil, nil, err
		}
		uri = embedded.URI()
		logger.Info("embedded database started", "dir", cfg.DataDir)
	}
	opts := mongodb.Options{URI: uri, Database: cfg.MongoDB}
	if embedded != nil {
		opts.SingleConnection, opts.SoleWriter = true, true
		opts.AfterMigrate = func(ctx context.Context) error { return embedded.IndexIDs(ctx, cfg.MongoDB) }
	}
	db, err := mongodb.Connect(opts)
	closeAll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var errs []error
		if db != nil {
			errs = append(errs, db.Close(ctx))
		}
		if embedded != nil {
			errs = append(errs, embedded.Close(ctx))
		}
		if err := errors.Join(errs...); err != nil {
			logger.Warn("close database", "err", err)
		}
	}
	if err != nil {
		closeAll()
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return db, closeAll, nil
}

// NewLogger returns the logger LOG_LEVEL and LOG_FORMAT ask for.
func NewLogger(cfg *config.Config, out io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(out, opts))
	}
	return slog.New(slog.NewJSONHandler(out, opts))
}
