package app

import (
	"log/slog"

	"github.com/lms-backend/lms/internal/certificate"
	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/coupon"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/media"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/review"
	"github.com/lms-backend/lms/internal/stripe"
)

// newPayments wires the payment service. Without Stripe settings it has no
// provider: paid checkouts, webhooks and reconcile answer 503 while free
// enrolment still works.
func newPayments(cfg *config.Config, logger *slog.Logger, db *mongodb.DB, catalog *course.Service, enrolments *enrolment.Service, certificates *certificate.Service, coupons *coupon.Service, reviews *review.Service, store *media.Store) *payment.Service {
	var provider payment.Provider // stays a nil interface when not configured
	if cfg.PaymentsEnabled() {
		provider = stripe.New(stripe.Config{
			SecretKey:     cfg.StripeSecretKey,
			WebhookSecret: cfg.StripeWebhookSecret,
			APIBase:       cfg.StripeAPIBase,
		})
	} else {
		logger.Warn("payments are not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET")
	}
	return payment.NewService(payment.Deps{
		Repo:       mongodb.NewPurchaseRepo(db),
		Events:     mongodb.NewWebhookEventRepo(db),
		Unmatched:  mongodb.NewUnmatchedRefundRepo(db),
		Directory:  mongodb.NewLedgerDirectory(db),
		Enrolments: enrolments,
		// A full refund revokes the course's certificate.
		Certificates: certificates,
		// and hides the buyer's review.
		Reviews:    reviews,
		Catalog:    catalog,
		Coupons:    coupons,
		Provider:   provider,
		SuccessURL: cfg.StripeSuccessURL,
		CancelURL:  cfg.StripeCancelURL,
		ImageURL:   store.ImageURL,
		Logger:     logger,
		Timing:     payment.Timing{AnswerWithin: cfg.WebhookAnswerWithin},
	})
}
