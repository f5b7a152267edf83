package mail

import (
	"context"
	"log/slog"
)

// Undelivered is the mailer of a production service without SMTP_URL: it
// cannot deliver password-reset links and, unlike Log, never writes them
// anywhere, since a logged link is a usable credential.
type Undelivered struct {
	logger *slog.Logger
}

// NewUndelivered returns an Undelivered that reports to logger.
func NewUndelivered(logger *slog.Logger) *Undelivered {
	return &Undelivered{logger: logger}
}

// SendPasswordReset logs, without the link or the address, that a reset
// mail could not be sent. It refuses the same input as SMTP.SendPasswordReset.
func (u *Undelivered) SendPasswordReset(ctx context.Context, to, name, link string) error {
	if _, err := newResetMail(to, name, link); err != nil {
		return err
	}
	u.logger.WarnContext(ctx, "password reset mail not sent: no SMTP_URL is configured")
	return nil
}
