package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// DefaultTimeout bounds one delivery, from dialling to QUIT.
const DefaultTimeout = 10 * time.Second

// ErrSend is the error of a failed delivery.
var ErrSend = apperr.New(apperr.Upstream, "mail_not_sent", "Could not send the email")

// SMTP sends mail through one SMTP server, one connection per mail. It is
// safe for concurrent use.
type SMTP struct {
	host        string // for TLS verification and PLAIN auth
	addr        string // host:port
	implicitTLS bool
	auth        smtp.Auth // nil without credentials
	from        mail.Address

	timeout   time.Duration
	tlsConfig *tls.Config // nil means verify host against the system roots
	now       func() time.Time
}

// NewSMTP returns an SMTP that delivers through the server in smtpURL, with
// from as the sender ("LMS <no-reply@example.com>" or a bare address).
//
// smtpURL is smtp://[user[:password]@]host[:port] (port 587 by default;
// STARTTLS is used whenever the server offers it) or smtps://... (implicit
// TLS, port 465 by default). Credentials are percent-decoded and sent with
// AUTH PLAIN, which net/smtp allows only over TLS or to a loopback host.
func NewSMTP(smtpURL, from string) (*SMTP, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	s := &SMTP{timeout: DefaultTimeout, now: time.Now}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port = "465"
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("mail: SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("mail: SMTP URL: no host")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("mail: SMTP URL: unexpected path, query or fragment")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL: bad port %q", p)
		}
		port = p
	}
	s.host = u.Hostname()
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		user := u.User.Username()
		pass, _ := u.User.Password()
		if user == "" || hasControl(user) || hasControl(pass) {
			return nil, errors.New("mail: SMTP URL: bad user name or password")
		}
		s.auth = smtp.PlainAuth("", user, pass, s.host)
	}

	if hasControl(from) {
		return nil, errors.New("mail: sender contains a control character")
	}
	f, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", from, err)
	}
	s.from = *f
	return s, nil
}

// SendPasswordReset mails link to the address to, greeting them by name.
// A bad address is an apperr.Invalid error; a failed delivery is an
// apperr.Upstream error. It gives up when ctx is done or after
// DefaultTimeout, whichever comes first.
func (s *SMTP) SendPasswordReset(ctx context.Context, to, name, link string) error {
	m, err := newResetMail(to, name, link)
	if err != nil {
		return err
	}
	msg, err := m.compose(s.from, s.now())
	if err != nil {
		return err
	}
	if err := s.send(ctx, m.to.Address, msg); err != nil {
		return ErrSend.Wrap(err)
	}
	return nil
}

// send delivers msg to rcpt in one SMTP session.
func (s *SMTP) send(ctx context.Context, rcpt string, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	defer func() {
		if err == nil {
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline is ctx's; let ctx catch up and
			// say why.
			<-ctx.Done()
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
	}()

	conn, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", s.addr, err)
	}
	// Every read and write ends at the deadline, or at once when ctx is
	// cancelled earlier.
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greeting from %s: %w", s.addr, err)
	}
	defer c.Close()

	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsClientConfig()); err != nil {
				return fmt.Errorf("mail: STARTTLS with %s: %w", s.addr, err)
			}
		}
	}
	if s.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("mail: %s offers no AUTH but the URL has credentials", s.addr)
		}
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("mail: AUTH with %s: %w", s.addr, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of message: %w", err)
	}
	// The message is accepted; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	if s.implicitTLS {
		d := tls.Dialer{Config: s.tlsClientConfig()}
		return d.DialContext(ctx, "tcp", s.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.addr)
}

func (s *SMTP) tlsClientConfig() *tls.Config {
	if s.tlsConfig != nil {
		c := s.tlsConfig.Clone()
		c.ServerName = s.host
		return c
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}
