package mail

import (
	"context"
	"log/slog"
)

// Log "sends" mail by writing it to a logger, when no SMTP server is
// configured. In development it logs the reset link; in production it only
// reports that the mail could not be sent, since a logged link is a usable
// credential.
type Log struct {
	logger    *slog.Logger
	showLinks bool
}

// NewLog returns a Log that writes to logger, with the links when
// showLinks is set.
func NewLog(logger *slog.Logger, showLinks bool) *Log {
	return &Log{logger: logger, showLinks: showLinks}
}

// SendPasswordReset logs the reset mail for to: the address and link when
// links are shown (info), else only that it was not sent (warning). It
// refuses the same input as SMTP.SendPasswordReset.
func (l *Log) SendPasswordReset(ctx context.Context, to, name, link string) error {
	m, err := newResetMail(to, name, link)
	if err != nil {
		return err
	}
	if !l.showLinks {
		l.logger.WarnContext(ctx, "password reset mail not sent: no SMTP_URL is configured")
		return nil
	}
	l.logger.InfoContext(ctx, "password reset mail not sent (no SMTP_URL); the link is logged instead",
		slog.String("to", m.to.Address),
		slog.String("link", m.link))
	return nil
}
