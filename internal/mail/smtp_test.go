package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

const (
	testFrom = "LMS <no-reply@lms.example>"
	testTo   = "ana@example.com"
	testLink = "http://localhost:5173/reset-password/Zm9vYmFyYmF6cXV4LXRva2VuLW9mLWZvcnR5LXRocmVlLWNo"
)

func newTestSMTP(t *testing.T, smtpURL string) *SMTP {
	t.Helper()
	s, err := NewSMTP(smtpURL, testFrom)
	if err != nil {
		t.Fatalf("NewSMTP(%q): %v", smtpURL, err)
	}
	return s
}

// parsed is a received message as a mail client reads it.
type parsed struct {
	header mail.Header
	body   string
}

func parseMessage(t *testing.T, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	var body []byte
	switch cte := m.Header.Get("Content-Transfer-Encoding"); cte {
	case "7bit":
		body, err = io.ReadAll(m.Body)
	case "quoted-printable":
		body, err = io.ReadAll(quotedprintable.NewReader(m.Body))
	default:
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return parsed{header: m.Header, body: string(body)}
}

// checkResetMail asserts that r is the reset mail for testTo with testLink.
func checkResetMail(t *testing.T, r received, wantName string) parsed {
	t.Helper()
	if r.From != "no-reply@lms.example" {
		t.Errorf("MAIL FROM = %q", r.From)
	}
	if len(r.To) != 1 || r.To[0] != testTo {
		t.Errorf("RCPT TO = %q, want [%s]", r.To, testTo)
	}
	p := parseMessage(t, r.Data)
	h := p.header

	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "no-reply@lms.example" || from[0].Name != "LMS" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != testTo || to[0].Name != wantName {
		t.Errorf("To = %q → %v (%v), want %q <%s>", h.Get("To"), to, err, wantName, testTo)
	}
	for _, k := range []string{"Cc", "Bcc", "Reply-To"} {
		if _, ok := h[k]; ok {
			t.Errorf("unexpected header %s: %q", k, h.Get(k))
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != PasswordResetSubject {
		t.Errorf("Subject = %q (%v)", subject, err)
	}
	if d, err := h.Date(); err != nil || time.Since(d).Abs() > time.Hour {
		t.Errorf("Date = %q (%v)", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@lms\.example>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	if v := h.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version = %q", v)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
		t.Errorf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	if !strings.Contains(p.body, "\r\n"+testLink+"\r\n") {
		t.Errorf("body does not have the link on a line of its own:\n%s", p.body)
	}
	return p
}

func send(t *testing.T, s *SMTP, name string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return s.SendPasswordReset(ctx, testTo, name, testLink)
}

func TestSMTPPlain(t *testing.T) {
	addr, be := startServer(t, serverOptions{})
	s := newTestSMTP(t, "smtp://"+addr)
	if err := send(t, s, "Ana Zoë"); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	p := checkResetMail(t, msgs[0], "Ana Zoë")
	if !strings.Contains(p.body, "Hello Ana Zoë,") {
		t.Errorf("body does not greet by name:\n%s", p.body)
	}
	if msgs[0].TLS || msgs[0].User != "" {
		t.Errorf("session TLS=%v user=%q, want plain and anonymous", msgs[0].TLS, msgs[0].User)
	}
	// Lines stay within the RFC 5322 limit.
	for _, line := range strings.Split(string(msgs[0].Data), "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
}

func TestSMTPASCIIBodyIsRaw(t *testing.T) {
	addr, be := startServer(t, serverOptions{})
	if err := send(t, newTestSMTP(t, "smtp://"+addr), "Ana"); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	p := checkResetMail(t, msgs[0], "Ana")
	if cte := p.header.Get("Content-Transfer-Encoding"); cte != "7bit" {
		t.Errorf("Content-Transfer-Encoding = %q, want 7bit", cte)
	}
	if !bytes.Contains(msgs[0].Data, []byte("\r\n"+testLink+"\r\n")) {
		t.Errorf("raw message does not have the link whole:\n%s", msgs[0].Data)
	}
}

func TestSMTPAuth(t *testing.T) {
	addr, be := startServer(t, serverOptions{user: "mailer", pass: "p@ss:w/rd"})
	tests := []struct {
		name   string
		url    string
		wantOK bool
	}{
		{"right credentials", "smtp://mailer:p%40ss%3Aw%2Frd@" + addr, true},
		{"wrong password", "smtp://mailer:nope@" + addr, false},
		{"no credentials", "smtp://" + addr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(be.messages())
			err := send(t, newTestSMTP(t, tt.url), "")
			if !tt.wantOK {
				if !apperr.Is(err, apperr.Upstream) {
					t.Fatalf("err = %v, want Upstream", err)
				}
				if n := len(be.messages()); n != before {
					t.Errorf("server got %d messages, want none", n-before)
				}
				return
			}
			if err != nil {
				t.Fatalf("SendPasswordReset: %v", err)
			}
			msgs := be.messages()
			if len(msgs) != before+1 {
				t.Fatalf("server got %d messages, want 1", len(msgs)-before)
			}
			r := msgs[len(msgs)-1]
			if r.User != "mailer" {
				t.Errorf("authenticated as %q, want mailer", r.User)
			}
			p := checkResetMail(t, r, "")
			if !strings.Contains(p.body, "Hello,") {
				t.Errorf("body has no neutral greeting:\n%s", p.body)
			}
		})
	}
}

func TestSMTPNoAuthOffered(t *testing.T) {
	addr, be := startServer(t, serverOptions{})
	err := send(t, newTestSMTP(t, "smtp://user:pass@"+addr), "")
	if !apperr.Is(err, apperr.Upstream) || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("err = %v, want Upstream about AUTH", err)
	}
	if n := len(be.messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestSMTPStartTLS(t *testing.T) {
	serverTLS, pool := testCert(t)
	addr, be := startServer(t, serverOptions{user: "mailer", pass: "secret", startTLS: serverTLS, noPlainAuth: true})

	s := newTestSMTP(t, "smtp://mailer:secret@"+addr)
	s.tlsConfig = &tls.Config{RootCAs: pool}
	if err := send(t, s, "Ana"); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if !msgs[0].TLS || msgs[0].User != "mailer" {
		t.Errorf("session TLS=%v user=%q, want TLS and mailer", msgs[0].TLS, msgs[0].User)
	}
	checkResetMail(t, msgs[0], "Ana")

	// A certificate we do not trust stops the delivery; there is no
	// fallback to plain text.
	untrusted := newTestSMTP(t, "smtp://mailer:secret@"+addr)
	if err := send(t, untrusted, "Ana"); !apperr.Is(err, apperr.Upstream) {
		t.Errorf("untrusted certificate: err = %v, want Upstream", err)
	}
	if n := len(be.messages()); n != 1 {
		t.Errorf("server got %d messages, want still 1", n)
	}
}

func TestSMTPS(t *testing.T) {
	serverTLS, pool := testCert(t)
	addr, be := startServer(t, serverOptions{user: "mailer", pass: "secret", implicitTLS: serverTLS, noPlainAuth: true})

	s := newTestSMTP(t, "smtps://mailer:secret@"+addr)
	s.tlsConfig = &tls.Config{RootCAs: pool}
	if err := send(t, s, "Ana"); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	if !msgs[0].TLS || msgs[0].User != "mailer" {
		t.Errorf("session TLS=%v user=%q, want TLS and mailer", msgs[0].TLS, msgs[0].User)
	}
	checkResetMail(t, msgs[0], "Ana")

	// Plain SMTP against a TLS port fails rather than hangs.
	plain := newTestSMTP(t, "smtp://mailer:secret@"+addr)
	plain.timeout = 300 * time.Millisecond
	if err := send(t, plain, "Ana"); !apperr.Is(err, apperr.Upstream) {
		t.Errorf("smtp:// to a TLS port: err = %v, want Upstream", err)
	}
}

func TestSMTPUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	err = send(t, newTestSMTP(t, "smtp://"+addr), "")
	if !apperr.Is(err, apperr.Upstream) {
		t.Fatalf("err = %v, want Upstream", err)
	}
	if e, _ := apperr.As(err); e.Message != ErrSend.Message {
		t.Errorf("message = %q, want %q", e.Message, ErrSend.Message)
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

func TestSMTPSilentServer(t *testing.T) {
	addr := silentServer(t)

	t.Run("own timeout", func(t *testing.T) {
		s := newTestSMTP(t, "smtp://"+addr)
		s.timeout = 200 * time.Millisecond
		if err := s.SendPasswordReset(context.Background(), testTo, "", testLink); !apperr.Is(err, apperr.Upstream) {
			t.Errorf("err = %v, want Upstream", err)
		}
	})
	t.Run("ctx deadline", func(t *testing.T) {
		s := newTestSMTP(t, "smtp://"+addr)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := s.SendPasswordReset(ctx, testTo, "", testLink)
		if !apperr.Is(err, apperr.Upstream) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want Upstream wrapping DeadlineExceeded", err)
		}
	})
	t.Run("ctx cancelled", func(t *testing.T) {
		s := newTestSMTP(t, "smtp://"+addr)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		err := s.SendPasswordReset(ctx, testTo, "", testLink)
		if !apperr.Is(err, apperr.Upstream) || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want Upstream wrapping Canceled", err)
		}
	})
}

func TestNewSMTPBadInput(t *testing.T) {
	tests := []struct{ url, from string }{
		{"", testFrom},
		{"http://mail.example.com", testFrom},
		{"mail.example.com:587", testFrom},
		{"smtp:mail.example.com", testFrom},
		{"smtp://", testFrom},
		{"smtp://:587", testFrom},
		{"smtp://mail.example.com:0", testFrom},
		{"smtp://mail.example.com:65536", testFrom},
		{"smtp://mail.example.com:smtp", testFrom},
		{"smtp://mail.example.com/path", testFrom},
		{"smtp://mail.example.com?tls=off", testFrom},
		{"smtp://:pass@mail.example.com", testFrom},
		{"smtp://user:pa%0Ass@mail.example.com", testFrom},
		{"smtp://mail.example.com%0A:25", testFrom},
		{"smtp://mail.example.com", ""},
		{"smtp://mail.example.com", "not an address"},
		{"smtp://mail.example.com", "a@example.com\r\nBcc: evil@example.com"},
		{"smtp://mail.example.com", "LMS <a@example.com>\nX-Evil: 1"},
	}
	for _, tt := range tests {
		if _, err := NewSMTP(tt.url, tt.from); err == nil {
			t.Errorf("NewSMTP(%q, %q) succeeded, want error", tt.url, tt.from)
		}
	}
	for _, u := range []string{"smtp://mail.example.com", "smtps://u:p@mail.example.com:2465", "smtp://[::1]:25/"} {
		if _, err := NewSMTP(u, "no-reply@example.com"); err != nil {
			t.Errorf("NewSMTP(%q): %v", u, err)
		}
	}
}

func TestNewSMTPDefaultPorts(t *testing.T) {
	for u, want := range map[string]string{
		"smtp://mail.example.com":         "mail.example.com:587",
		"smtps://mail.example.com":        "mail.example.com:465",
		"smtp://mail.example.com:25":      "mail.example.com:25",
		"smtps://user@[::1]:2465":         "[::1]:2465",
		"smtp://user:pw@mail.example.com": "mail.example.com:587",
	} {
		s, err := NewSMTP(u, testFrom)
		if err != nil {
			t.Fatalf("NewSMTP(%q): %v", u, err)
		}
		if s.addr != want {
			t.Errorf("NewSMTP(%q).addr = %q, want %q", u, s.addr, want)
		}
	}
}

func TestSMTPHeaderInjection(t *testing.T) {
	addr, be := startServer(t, serverOptions{})
	s := newTestSMTP(t, "smtp://"+addr)
	ctx := context.Background()

	for _, to := range []string{
		testTo + "\r\nBcc: evil@example.com",
		testTo + "\nBcc: evil@example.com",
		testTo + "\r",
		"evil@example.com>\r\nRCPT TO:<other@example.com",
		"Ana <" + testTo + ">",
		testTo + ", evil@example.com",
		"",
		"not-an-address",
	} {
		err := s.SendPasswordReset(ctx, to, "Ana", testLink)
		if !apperr.Is(err, apperr.Invalid) {
			t.Errorf("to %q: err = %v, want Invalid", to, err)
		}
	}
	for _, link := range []string{
		testLink + "\r\nBcc: evil@example.com",
		"javascript:alert(1)",
		"/reset-password/abc",
		"",
		"http://example.com/a b",
	} {
		if err := s.SendPasswordReset(ctx, testTo, "Ana", link); err == nil {
			t.Errorf("link %q accepted", link)
		}
	}
	if n := len(be.messages()); n != 0 {
		t.Fatalf("server got %d messages, want none", n)
	}

	// A name is user input that only ever becomes a display name: it is
	// kept on one line and encoded, never a header of its own.
	if err := s.SendPasswordReset(ctx, testTo, "Ana\r\nBcc: evil@example.com", testLink); err != nil {
		t.Fatalf("SendPasswordReset: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	p := checkResetMail(t, msgs[0], "Ana Bcc: evil@example.com")
	if strings.Contains(p.body, "\r\nBcc:") {
		t.Errorf("name broke the body's lines:\n%s", p.body)
	}
}
