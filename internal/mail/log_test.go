package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
)

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), true)

	if err := l.SendPasswordReset(context.Background(), testTo, "Ana", testLink); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log output %q: %v", buf.String(), err)
	}
	if rec["level"] != "INFO" || rec["link"] != testLink || rec["to"] != testTo {
		t.Errorf("log record = %v, want INFO with link and to", rec)
	}

	buf.Reset()
	err := l.SendPasswordReset(context.Background(), testTo+"\r\nBcc: evil@example.com", "Ana", testLink)
	if !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad address: err = %v, want Invalid", err)
	}
	if buf.Len() != 0 {
		t.Errorf("bad address logged: %s", buf.String())
	}
}

// Without links (production), the log says a mail was not sent and holds
// neither the link nor the address.
func TestLogWithoutLinks(t *testing.T) {
	var buf bytes.Buffer
	l := NewLog(slog.New(slog.NewJSONHandler(&buf, nil)), false)
	if err := l.SendPasswordReset(context.Background(), testTo, "Ana", testLink); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	if out := buf.String(); !bytes.Contains(buf.Bytes(), []byte(`"level":"WARN"`)) || bytes.Contains(buf.Bytes(), []byte(testLink)) || bytes.Contains(buf.Bytes(), []byte(testTo)) {
		t.Errorf("log %s: want a warning without the link or the address", out)
	}
}
