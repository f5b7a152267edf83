package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
)

// routes shows every route and the middleware in front of it, in order.
// withMetrics serves /metrics on the API's own handler.
func (s *server) routes(withMetrics bool) (http.Handler, error) {
	crossOrigin, err := s.crossOriginProtection()
	if err != nil {
		return nil, err
	}

	openAPI, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	docs, err := docsHandler()
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.corsHandler(), s.limitHeaders)
	r.NotFound(s.handle(notFound))
	r.MethodNotAllowed(s.handle(methodNotAllowed))

	if withMetrics {
		r.Handle("/metrics", s.metrics.handler())
	}
	r.With(longWrites).Handle("/media/*", s.handle(s.media.Serve))
	// The API reference page and its assets, served from the binary.
	r.Get("/api/docs", s.handle(docs))
	r.Get("/api/docs/{asset}", s.handle(docs))
	// A certificate's public page, and its PDF at the same path + ".pdf".
	r.With(s.verifyLimiter.Handler).Get(certificatePagePath+"{file}", s.handle(s.certificatePage))

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(noStore, s.limitRequestTime)
		r.NotFound(s.handle(notFound))
		r.MethodNotAllowed(s.handle(methodNotAllowed))
		// Probes are exempt from the rate limit: an orchestrator polls
		// them from one address all day.
		r.Get("/healthcheck", s.handle(s.health))
		// The contract: static, cheap, and needed by the reference page.
		r.Get("/openapi.json", openAPI)
		// Stripe's webhook carries a signature instead of an Origin, comes
		// from Stripe's addresses and may exceed 10 KB: it is outside the
		// group below and reads its own capped raw body.
		r.With(s.limitBody(fixedLimit(maxWebhookBytes))).Post("/payments/webhook", s.handle(s.stripeWebhook))

		r.Group(func(r chi.Router) {
			r.Use(crossOrigin, s.ipLimiter.Handler, s.limitBody(apiBodyLimit))

			r.Route("/user", func(r chi.Router) {
				r.Post("/signup", s.handle(s.signUp))
				r.Post("/signout", s.handle(s.signOut))
				r.Group(func(r chi.Router) {
					r.Use(s.authPerClient)
					r.Post("/signin", s.handle(s.signIn))
					r.Post("/forgot-password", s.handle(s.forgotPassword))
					r.Post("/reset-password/{token}", s.handle(s.resetPassword))
				})
				r.Group(func(r chi.Router) {
					r.Use(s.requireUser)
					r.Get("/profile", s.handle(s.profile))
					r.Patch("/profile", s.handle(s.updateProfile))
					r.Patch("/change-password", s.handle(s.changePassword))
					r.Delete("/account", s.handle(s.deleteAccount))
				})
			})

			r.Route("/courses", func(r chi.Router) {
				r.Group(func(r chi.Router) {
					r.Use(s.cachePublic, s.optionalUser)
					r.Get("/search", s.handle(s.searchCourses))
					r.Get("/published", s.handle(s.publishedCourses))
					r.Get("/{courseId}", s.handle(s.getCourse))
					r.Get("/{courseId}/lectures", s.handle(s.listLectures))
				})
				r.Group(func(r chi.Router) {
					r.Use(s.requireUser, s.requireRole(auth.RoleInstructor, auth.RoleAdmin), s.dropPublic)
					r.Post("/", s.handle(s.createCourse))
					r.Get("/instructor", s.handle(s.instructorCourses))
					r.Patch("/{courseId}", s.handle(s.updateCourse))
					r.Patch("/{courseId}/publish", s.handle(s.publishCourse))
					r.Delete("/{courseId}", s.handle(s.deleteCourse))
					r.Post("/{courseId}/lectures", s.handle(s.addLecture))
					r.Patch("/{courseId}/lectures/{lectureId}", s.handle(s.updateLecture))
					r.Delete("/{courseId}/lectures/{lectureId}", s.handle(s.deleteLecture))
					r.Post("/{courseId}/lectures/{lectureId}/captions", s.handle(s.uploadCaption))
					r.Delete("/{courseId}/lectures/{lectureId}/captions/{language}", s.handle(s.deleteCaption))
					r.Get("/{courseId}/curriculum", s.handle(s.getCurriculum))
					r.Put("/{courseId}/curriculum", s.handle(s.reorderCurriculum))
					r.Post("/{courseId}/sections", s.handle(s.addSection))
					r.Patch("/{courseId}/sections/{sectionId}", s.handle(s.updateSection))
					r.Delete("/{courseId}/sections/{sectionId}", s.handle(s.deleteSection))
				})
				r.With(s.requireUser, s.requireRole(auth.RoleInstructor, auth.RoleAdmin)).
					Get("/{courseId}/insights", s.handle(s.courseInsights))
				// Reviews: public reads; writes by students (their own),
				// the instructor (replies), anyone (reports), admins (hiding).
				r.Group(func(r chi.Router) {
					r.Use(s.cachePublic, s.optionalUser)
					r.Get("/{courseId}/reviews", s.handle(s.listReviews))
					r.Get("/{courseId}/reviews/summary", s.handle(s.reviewSummary))
				})
				r.Group(func(r chi.Router) {
					r.Use(s.requireUser, s.dropPublic)
					r.Get("/{courseId}/reviews/me", s.handle(s.getMyReview))
					r.Put("/{courseId}/reviews/me", s.handle(s.putMyReview))
					r.Delete("/{courseId}/reviews/me", s.handle(s.deleteMyReview))
					r.Put("/{courseId}/reviews/{reviewId}/reply", s.handle(s.replyToReview))
					r.Post("/{courseId}/reviews/{reviewId}/report", s.handle(s.reportReview))
					r.With(s.requireRole(auth.RoleAdmin)).Patch("/{courseId}/reviews/{reviewId}", s.handle(s.moderateReview))
				})
			})

			r.With(s.requireUser, s.requireRole(auth.RoleAdmin)).Get("/reviews/reported", s.handle(s.reportedReviews))

			r.Route("/progress", func(r chi.Router) {
				r.Use(s.requireUser)
				r.Get("/", s.handle(s.coursesInProgress))
				r.Get("/{courseId}", s.handle(s.getProgress))
				r.Patch("/{courseId}/lectures/{lectureId}", s.handle(s.updateLectureProgress))
				r.Put("/{courseId}/lectures/{lectureId}/position", s.handle(s.reportPosition))
				r.Post("/{courseId}/complete", s.handle(s.completeCourse))
				r.Post("/{courseId}/reset", s.handle(s.resetProgress))
			})

			r.Route("/certificates", func(r chi.Router) {
				// Public: no session, a limit of its own.
				r.With(s.verifyLimiter.Handler).Get("/verify/{verifyId}", s.handle(s.verifyCertificate))
				r.Group(func(r chi.Router) {
					r.Use(s.requireUser)
					r.Post("/", s.handle(s.issueCertificate))
					r.Get("/", s.handle(s.myCertificates))
					r.Get("/{id}", s.handle(s.getCertificate))
					r.Group(func(r chi.Router) {
						r.Use(s.requireRole(auth.RoleAdmin))
						r.Post("/{id}/revoke", s.handle(s.revokeCertificate))
						r.Post("/{id}/reinstate", s.handle(s.reinstateCertificate))
					})
				})
			})

			r.Route("/coupons", func(r chi.Router) {
				r.Use(s.requireUser, s.requireRole(auth.RoleInstructor, auth.RoleAdmin))
				r.Post("/", s.handle(s.createCoupon))
				r.Get("/", s.handle(s.listCoupons))
				r.Patch("/{couponId}", s.handle(s.updateCoupon))
				r.Delete("/{couponId}", s.handle(s.deleteCoupon))
			})

			r.Route("/payments", func(r chi.Router) {
				r.Use(s.requireUser)
				r.Post("/create-checkout-session", s.handle(s.createCheckoutSession))
				r.Post("/quote", s.handle(s.quote))
				r.Get("/courses/{courseId}/purchase-status", s.handle(s.purchaseStatus))
				r.Get("/purchased-courses", s.handle(s.purchasedCourses))
				r.Get("/history", s.handle(s.purchaseHistory))
				r.With(s.requireRole(auth.RoleInstructor, auth.RoleAdmin)).Get("/sales", s.handle(s.sales))
				r.With(s.requireRole(auth.RoleInstructor, auth.RoleAdmin)).Get("/sales/summary", s.handle(s.salesSummary))
			})
		})
	})
	return r, nil
}

func notFound(http.ResponseWriter, *http.Request) error {
	return apperr.New(apperr.NotFound, "route_not_found", "Route not found")
}

func methodNotAllowed(http.ResponseWriter, *http.Request) error {
	return errMethodNotAllowed
}
