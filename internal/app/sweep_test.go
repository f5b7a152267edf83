package app_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/mongodb"
)

// Start-up removes the upload temp files that a crash or an interrupted
// shutdown left in DATA_DIR/tmp, and spares files still being written (an
// upload of another instance) and files that are not upload temp files.
func TestStartupSweepsStaleUploadTempFiles(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for name, mtime := range map[string]time.Time{
		"upload-123":     old,
		"upload-456":     time.Now().Add(-31 * time.Second), // idle longer than UPLOAD_IDLE_TIMEOUT
		"upload-live":    time.Now(),
		"notes.txt":      old,
		"uploaded-thing": old,
	} {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte("half an upload"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	cfg := load(t, map[string]string{"DATA_DIR": dir, "APP_ENV": "test", "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789"})
	// The sweep needs no database: one that is down will do.
	db, err := mongodb.Connect(mongodb.Options{URI: "mongodb://127.0.0.1:1/", Database: "lms"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db); err != nil {
		t.Fatalf("app.New: %v", err)
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"notes.txt", "upload-live", "uploaded-thing"}; !slices.Equal(left, want) {
		t.Errorf("DATA_DIR/tmp after start-up holds %v, want %v", left, want)
	}
}
