package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/config"
)

// Server timeouts. Handlers that stream large bodies (uploads, video) extend
// their own deadlines.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = time.Minute
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 30 * time.Second
	// tempSweepInterval is how often stale upload temp files are swept
	// after the sweep at start-up.
	tempSweepInterval = 15 * time.Minute
	// settleInterval is how often webhook events acknowledged but not
	// applied (their processing failed, or a process died) are settled.
	settleInterval = time.Minute
)

// serve runs the API until ctx ends.
func serve(ctx context.Context, getenv func(string) string, logOut io.Writer) error {
	a, closeDB, err := open(ctx, getenv, logOut)
	if err != nil {
		return err
	}
	defer closeDB()

	bg, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go a.Migrate(bg)
	go a.SweepTempFiles(bg, tempSweepInterval)
	go a.SettleWebhookEvents(bg, settleInterval)

	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(a.Config.Port)))
	if err != nil {
		return fmt.Errorf("PORT: %w", err)
	}
	metricsCtx, stopMetrics := context.WithCancel(ctx)
	defer stopMetrics()
	metricsDone, err := serveMetrics(metricsCtx, a)
	if err != nil {
		ln.Close()
		return err
	}
	a.Logger.Info("listening", "addr", ln.Addr().String(), "env", a.Config.AppEnv)
	err = serveHTTP(ctx, newHTTPServer(a.Handler, a.Logger), ln, a.Logger)
	stopMetrics()
	if merr := <-metricsDone; err == nil {
		err = merr
	}
	a.Users.Wait() // mails already accepted are sent before the process exits
	return err
}

// serveMetrics serves /metrics on METRICS_ADDR until ctx ends, when that is
// set; the channel gets the listener's result once it has stopped.
func serveMetrics(ctx context.Context, a *app.App) (<-chan error, error) {
	done := make(chan error, 1)
	if a.Metrics == nil {
		done <- nil
		return done, nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics)
	a.Logger.Info("metrics listening", "addr", ln.Addr().String())
	go func() { done <- serveHTTP(ctx, newHTTPServer(mux, a.Logger), ln, a.Logger) }()
	return done, nil
}

// open loads the configuration, opens the database and assembles the service.
func open(ctx context.Context, getenv func(string) string, logOut io.Writer) (*app.App, func(), error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.EnsureSecret(); err != nil {
		return nil, nil, err
	}
	logger := app.NewLogger(cfg, logOut)
	db, closeDB, err := app.OpenDB(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	a, err := app.New(ctx, cfg, logger, db)
	if err != nil {
		closeDB()
		return nil, nil, err
	}
	return a, closeDB, nil
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveHTTP serves on ln until ctx ends, then stops accepting connections and
// waits for in-flight requests to finish.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, logger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}
