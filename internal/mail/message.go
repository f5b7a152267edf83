// Package mail sends the service's one mail, the password-reset link: over
// SMTP (SMTP), or into the log in development (Log). Both have the method
//
//	SendPasswordReset(ctx context.Context, to, name, link string) error
//
// for the consumer to declare as the interface it needs.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// PasswordResetSubject is the subject of the password-reset mail.
const PasswordResetSubject = "Reset your password"

// resetMail is a validated password-reset mail.
type resetMail struct {
	to   mail.Address // Address only; Name is the recipient's display name
	link string
}

// newResetMail checks the recipient address and the link. The address must
// be a bare addr-spec (no display name), and nothing may contain CR, LF or
// other control characters, so no input can add a header or a recipient.
func newResetMail(to, name, link string) (resetMail, error) {
	addr, err := parseBareAddress(to)
	if err != nil {
		return resetMail{}, apperr.New(apperr.Invalid, "invalid_email", "Invalid email address").Wrap(err)
	}
	if err := checkLink(link); err != nil {
		return resetMail{}, fmt.Errorf("mail: reset link: %w", err)
	}
	return resetMail{to: mail.Address{Name: cleanName(name), Address: addr}, link: link}, nil
}

// parseBareAddress returns s when it is a plain address such as
// "ana@example.com".
func parseBareAddress(s string) (string, error) {
	if hasControl(s) {
		return "", fmt.Errorf("address %q contains a control character", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", s, err)
	}
	if a.Name != "" || a.Address != s {
		return "", fmt.Errorf("address %q is not a bare address", s)
	}
	return a.Address, nil
}

func checkLink(link string) error {
	if hasControl(link) || strings.ContainsAny(link, " \t") {
		return errors.New("contains white space or a control character")
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", link)
	}
	return nil
}

// hasControl reports whether s has an ASCII control character (CR and LF
// among them) or DEL.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// cleanName turns the control characters of a display name into spaces; a
// name is user input and must stay on one line.
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, name)
	return strings.Join(strings.Fields(name), " ")
}

// body returns the text of the mail.
func (m resetMail) body() string {
	greeting := "Hello,"
	if m.to.Name != "" {
		greeting = "Hello " + m.to.Name + ","
	}
	return greeting + "\n\n" +
		"Someone, hopefully you, asked to reset the password of your account.\n" +
		"Open this link to choose a new password:\n\n" +
		m.link + "\n\n" +
		"The link works once and only for a short time. If you did not ask for\n" +
		"this, ignore this mail: your password stays as it is.\n"
}

// compose returns the whole message, headers and a UTF-8 text body (7bit when
// it is short-lined ASCII, else quoted-printable), with CRLF line ends.
func (m resetMail) compose(from mail.Address, now time.Time) ([]byte, error) {
	if hasControl(from.Name) || hasControl(from.Address) {
		return nil, errors.New("mail: sender contains a control character")
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("mail: message id: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", m.to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", PasswordResetSubject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	body := strings.ReplaceAll(m.body(), "\n", "\r\n")
	if is7bit(body) {
		// Plain ASCII goes as is, so the link stays whole in the raw message.
		header("Content-Transfer-Encoding", "7bit")
		header("Auto-Submitted", "auto-generated")
		b.WriteString("\r\n")
		b.WriteString(body)
		return b.Bytes(), nil
	}
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	return b.Bytes(), nil
}

// is7bit reports whether body (CRLF line ends) may be sent without transfer
// encoding: ASCII only and no line over RFC 5322's 998 bytes.
func is7bit(body string) bool {
	for line := range strings.SplitSeq(body, "\r\n") {
		if len(line) > 998 {
			return false
		}
		for i := 0; i < len(line); i++ {
			if line[i] >= 0x80 || line[i] == 0 || line[i] == '\r' || line[i] == '\n' {
				return false
			}
		}
	}
	return true
}
