package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/config"
	"github.com/lms-backend/lms/internal/mongodb"
)

func load(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// openEmbedded opens the embedded database under dir, as `lms serve` does
// without MONGODB_URI.
func openEmbedded(t *testing.T, dir string) (*mongodb.DB, func()) {
	t.Helper()
	cfg := load(t, map[string]string{"DATA_DIR": dir, "APP_ENV": "test"})
	db, closeDB, err := app.OpenDB(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	return db, closeDB
}

// TestEmbeddedDatabaseSurvivesRestart opens the embedded database, creates
// the indexes, stops it, and does the same again on the same files: a second
// start must find its data and must not trip over the existing indexes.
func TestEmbeddedDatabaseSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 {
		db, closeDB := openEmbedded(t, dir)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("start %d: Ping: %v", i+1, err)
		}
		for j := range 2 {
			if err := db.Migrate(ctx); err != nil {
				t.Fatalf("start %d: Migrate call %d: %v", i+1, j+1, err)
			}
		}
		cancel()
		closeDB()
	}
}

func TestOpenDBClosesEmbeddedServer(t *testing.T) {
	db, closeDB := openEmbedded(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	closeDB()
	if err := db.Ping(ctx); err == nil {
		t.Errorf("Ping succeeded after the close function ran")
	}
}

// TestMigrateStopsWithContext: with the database down at start-up the
// service keeps retrying in the background, and stops when asked.
func TestMigrateStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := mongodb.Connect(mongodb.Options{URI: "mongodb://" + addr + "/", Database: "lms"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })

	var logs bytes.Buffer
	cfg := load(t, map[string]string{"DATA_DIR": t.TempDir(), "APP_ENV": "test", "SECRET_KEY": strings.Repeat("k", 32)})
	a := &app.App{Config: cfg, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), DB: db}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Migrate(ctx)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Migrate did not return after its context ended")
	}
	var warned bool
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["level"] == "WARN" && strings.Contains(m["msg"].(string), "retrying") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no retry warning logged:\n%s", logs.String())
	}
}

func TestNewLoggerFormats(t *testing.T) {
	for _, tt := range []struct {
		format string
		json   bool
	}{{"json", true}, {"text", false}} {
		var out bytes.Buffer
		logger := app.NewLogger(load(t, map[string]string{"LOG_FORMAT": tt.format, "LOG_LEVEL": "warn"}), &out)
		logger.Info("hidden")
		logger.Warn("shown", "k", "v")
		if strings.Contains(out.String(), "hidden") {
			t.Errorf("%s: info logged at LOG_LEVEL=warn", tt.format)
		}
		if json.Valid(bytes.TrimSpace(out.Bytes())) != tt.json || !strings.Contains(out.String(), "shown") {
			t.Errorf("%s: output %q", tt.format, out.String())
		}
	}
}
