// Package httpapi is the HTTP face of the service: routing, middleware,
// request decoding and validation, and the mapping of errors to statuses.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/config"
)

// Pinger checks that the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are what the HTTP layer needs from the rest of the service.
type Deps struct {
	Config *config.Config
	Logger *slog.Logger
	DB     Pinger
	// RateLimitCounter, when set, shares rate-limit counters between
	// instances (Redis); nil keeps them in process.
	RateLimitCounter RateLimitCounter
}

// server carries the dependencies of every handler.
type server struct {
	cfg     *config.Config
	logger  *slog.Logger
	db      Pinger
	metrics *metrics
	started time.Time
	counter RateLimitCounter
}

// NewServer returns the service's HTTP handler.
func NewServer(d Deps) (http.Handler, error) {
	s := &server{
		cfg:     d.Config,
		logger:  d.Logger,
		db:      d.DB,
		metrics: newMetrics(),
		started: time.Now(),
		counter: d.RateLimitCounter,
	}
	h, err := s.routes()
	if err != nil {
		return nil, fmt.Errorf("build routes: %w", err)
	}
	return h, nil
}
