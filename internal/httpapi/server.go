// Package httpapi is the HTTP face of the service: routing, middleware,
// request decoding and validation, and the mapping of errors to statuses.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/httprate"

	"github.com/lms-backend/lms/internal/certificate"
	"github.com/lms-backend/lms/internal/certpdf"
	"github.com/lms-backend/lms/internal/coupon"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/insights"
	"github.com/lms-backend/lms/internal/media"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
	"github.com/lms-backend/lms/internal/review"
	"github.com/lms-backend/lms/internal/user"
)

// Pinger checks that the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the HTTP layer needs from the rest of the service.
type Deps struct {
	Options Options
	Logger  *slog.Logger
	DB      Pinger
	Users   *user.Service
	Courses *course.Service
	Media   *media.Store
	// Progress runs the /progress endpoints.
	Progress *progress.Service
	// Payments runs the /payments endpoints.
	Payments *payment.Service
	// Certificates runs the /certificates endpoints and public pages.
	Certificates *certificate.Service
	// Coupons runs the /coupons endpoints.
	Coupons *coupon.Service
	// Insights answers a course's insights.
	Insights *insights.Service
	// Reviews runs the review endpoints.
	Reviews *review.Service
	// PDF renders certificate PDFs.
	PDF *certpdf.Renderer
	// NewRateLimitCounter, when set, makes counters that instances share
	// (Redis); nil keeps them in process. It is called once per limiter.
	NewRateLimitCounter func() httprate.LimitCounter
	// ServeMetrics, when set, receives the /metrics handler to serve on a
	// listener of its own (METRICS_ADDR); the API handler then does not
	// serve /metrics.
	ServeMetrics func(http.Handler)
}

// server carries the dependencies of every handler.
type server struct {
	opts     Options
	logger   *slog.Logger
	db       Pinger
	metrics  *metrics
	started  time.Time
	users    *user.Service
	courses  *course.Service
	media    *media.Store
	progress *progress.Service
	payments *payment.Service
	certs    *certificate.Service
	coupons  *coupon.Service
	insights *insights.Service
	reviews  *review.Service
	pdf      *certpdf.Renderer
	public   *publicCache

	uploads *uploadSlots

	newCounter     func() httprate.LimitCounter
	ipLimiter      *httprate.RateLimiter
	authIPLimiter  *httprate.RateLimiter // sign-in, forgot- and reset-password per client, across emails
	accountLimiter *httprate.RateLimiter
	verifyLimiter  *httprate.RateLimiter // public certificate verification per client
	couponLimiter  *httprate.RateLimiter // quotes and checkouts with a coupon code per client
}

// NewServer returns the service's HTTP handler.
func NewServer(d Deps) (http.Handler, error) {
	s := &server{
		opts:     d.Options,
		logger:   d.Logger,
		db:       d.DB,
		metrics:  newMetrics(),
		started:  time.Now(),
		users:    d.Users,
		courses:  d.Courses,
		media:    d.Media,
		progress: d.Progress,
		payments: d.Payments,
		certs:    d.Certificates,
		coupons:  d.Coupons,
		insights: d.Insights,
		reviews:  d.Reviews,
		pdf:      d.PDF,
		public:   newPublicCache(d.Options.CatalogCacheTTL),
		uploads:  newUploadSlots(d.Options.MaxUploadsPerUser),

		newCounter: d.NewRateLimitCounter,
	}
	if s.payments != nil {
		s.metrics.countUnmatchedRefunds(s.payments.UnmatchedRefundsSeen)
	}
	s.ipLimiter = s.newLimiter(s.opts.RateLimitMax, s.opts.RateLimitWindow,
		func(r *http.Request) (string, error) { return s.clientKey(r), nil }, errIPRateLimited)
	s.authIPLimiter = s.newLimiter(s.opts.AuthIPRateLimit, s.opts.RateLimitWindow,
		func(r *http.Request) (string, error) { return s.clientKey(r), nil }, errIPRateLimited)
	s.accountLimiter = s.newLimiter(s.opts.AuthRateLimit, s.opts.RateLimitWindow,
		func(r *http.Request) (string, error) { return "", nil }, errAccountRateLimited)
	s.verifyLimiter = s.newLimiter(s.opts.VerifyRateLimit, s.opts.RateLimitWindow,
		func(r *http.Request) (string, error) { return s.clientKey(r), nil }, errVerifyRateLimited)
	s.couponLimiter = s.newLimiter(s.opts.CouponRateLimit, s.opts.RateLimitWindow,
		func(r *http.Request) (string, error) { return s.clientKey(r), nil }, errCouponRateLimited)
	h, err := s.routes(d.ServeMetrics == nil)
	if err != nil {
		return nil, fmt.Errorf("build routes: %w", err)
	}
	if d.ServeMetrics != nil {
		d.ServeMetrics(s.metrics.handler())
	}
	return h, nil
}
