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
	"time"

	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/embeddeddb"
	"github.com/lms-backend/lms/internal/httpapi"
	"github.com/lms-backend/lms/internal/mongodb"
)

// App is the assembled service.
type App struct {
	Config  *config.Config
	Logger  *slog.Logger
	DB      *mongodb.DB
	Handler http.Handler
}

// New wires the service over an open database.
func New(cfg *config.Config, logger *slog.Logger, db *mongodb.DB) (*App, error) {
	h, err := httpapi.NewServer(httpapi.Deps{Config: cfg, Logger: logger, DB: db})
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, Logger: logger, DB: db, Handler: h}, nil
}

// EnsureIndexes creates the database indexes, retrying until the database
// answers or ctx ends, so that a database that is down at start-up does not
// stop the service.
func (a *App) EnsureIndexes(ctx context.Context) {
	for delay := time.Second; ; delay = min(delay*2, 30*time.Second) {
		err := a.DB.EnsureIndexes(ctx)
		if err == nil {
			a.Logger.Info("database indexes ready")
			return
		}
		a.Logger.Warn("database indexes not ready; retrying", "err", err, "retry_in", delay)
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
	db, err := mongodb.Connect(mongodb.Options{URI: uri, Database: cfg.MongoDB, SingleConnection: embedded != nil})
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
