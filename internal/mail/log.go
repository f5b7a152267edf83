package mail

import (
	"context"
	"log/slog"
)

// Log "sends" mail by writing it to a logger. It is for development, when no
// SMTP server is configured.
type Log struct {
	logger *slog.Logger
}

// NewLog returns a Log that writes to logger.
func NewLog(logger *slog.Logger) *Log {
	return &Log{logger: logger}
}

// SendPasswordReset writes the reset link for to at info level. It refuses
// the same input as SMTP.SendPasswordReset.
func (l *Log) SendPasswordReset(ctx context.Context, to, name, link string) error {
	m, err := newResetMail(to, name, link)
	if err != nil {
		return err
	}
	l.logger.InfoContext(ctx, "password reset mail not sent (no SMTP_URL); the link is logged instead",
		slog.String("to", m.to.Address),
		slog.String("link", m.link))
	return nil
}
