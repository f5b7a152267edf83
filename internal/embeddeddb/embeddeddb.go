// Package embeddeddb runs FerretDB, a MongoDB-compatible server over SQLite,
// inside the process on a loopback port. It is the database of development
// and tests when no MONGODB_URI is given.
package embeddeddb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded database.
type Server struct {
	dir    string // the SQLite files, one per database
	uri    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Start starts the embedded database with its files under dir. Its logs go to
// logger at error level only: FerretDB is chatty.
func Start(dir string, logger *slog.Logger) (*Server, error) {
	dir = filepath.Join(dir, "db")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database directory: %w", err)
	}
	quiet := slog.New(levelFilter{Handler: logger.Handler(), min: slog.LevelError})
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{dir: dir, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("embedded database stopped", "err", err)
		}
	}()
	// MongoDBURI waits for the listener, which Run starts.
	s.uri = f.MongoDBURI()
	return s, nil
}

// URI returns the MongoDB connection string of the server.
func (s *Server) URI() string { return s.uri }

// Close stops the server and waits for it, at most until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop embedded database: %w", ctx.Err())
	case <-time.After(10 * time.Second):
		return errors.New("stop embedded database: timed out")
	}
}

// levelFilter drops records below min.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{Handler: h.Handler.WithAttrs(a), min: h.min}
}

func (h levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{Handler: h.Handler.WithGroup(n), min: h.min}
}
