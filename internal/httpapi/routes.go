package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"
	"github.com/lms-backend/lms/internal/apperr"
)

// RateLimitCounter stores rate-limit counters (httprate.LimitCounter).
type RateLimitCounter = httprate.LimitCounter

// routes shows every route and the middleware in front of it, in order.
func (s *server) routes() (http.Handler, error) {
	crossOrigin, err := s.crossOriginProtection()
	if err != nil {
		return nil, err
	}
	var counter []httprate.Option
	if s.counter != nil {
		counter = append(counter, httprate.WithLimitCounter(s.counter))
	}
	perIP := s.rateLimit(s.cfg.RateLimitMax, s.cfg.RateLimitWindow,
		func(r *http.Request) (string, error) { return s.clientIP(r), nil },
		"Too many request from this IP, please try later", counter...)

	r := chi.NewRouter()
	r.Use(requestID, s.logRequests, s.recoverPanics, s.securityHeaders, s.corsHandler())
	r.NotFound(s.handle(notFound))
	r.MethodNotAllowed(s.handle(methodNotAllowed))

	r.Handle("/metrics", s.metrics.handler())

	r.Route("/api/v1", func(r chi.Router) {
		r.NotFound(s.handle(notFound))
		r.MethodNotAllowed(s.handle(methodNotAllowed))
		// Probes are exempt from the rate limit: an orchestrator polls
		// them from one address all day.
		r.Get("/healthcheck", s.handle(s.health))

		r.Group(func(r chi.Router) {
			r.Use(crossOrigin, perIP, s.limitJSONBodies)
		})
	})
	return r, nil
}

func notFound(http.ResponseWriter, *http.Request) error {
	return apperr.New(apperr.NotFound, "Route not found")
}

func methodNotAllowed(http.ResponseWriter, *http.Request) error {
	return errMethodNotAllowed
}
