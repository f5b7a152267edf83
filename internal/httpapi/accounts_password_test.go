package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/lms-backend/lms/internal/app/apptest"
)

func TestAccountsChangePassword(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	other := s.signIn(t, "ada@example.com", acctPassword) // the same user elsewhere

	apptest.WantError(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": "wrong password", "newPassword": "new password 1"}, ada.Token),
		http.StatusUnauthorized, "Current password is incorrect")
	wantValidation(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{}, ada.Token), "currentPassword", "newPassword")
	wantValidation(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": acctPassword, "newPassword": "short"}, ada.Token), "newPassword")
	wantValidation(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": acctPassword, "newPassword": strings.Repeat("n", 73)}, ada.Token), "newPassword")
	// A current password longer than 72 bytes whose first 72 match is wrong.
	pw72 := strings.Repeat("q", 72)
	wantOK(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": acctPassword, "newPassword": pw72}, ada.Token), http.StatusOK, "Password changed successfully")
	fresh := s.signIn(t, "ada@example.com", pw72)
	apptest.WantError(t, s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": pw72 + "q", "newPassword": acctPassword}, fresh),
		http.StatusUnauthorized, "Current password is incorrect")
	// Failed attempts revoke nothing.
	s.wantSession(t, fresh, true)

	resp := s.call(t, http.MethodPatch, acctChangePW, map[string]string{"currentPassword": pw72, "newPassword": "new password 2"}, fresh)
	m := wantOK(t, resp, http.StatusOK, "Password changed successfully")
	if _, ok := m["token"]; ok {
		t.Errorf("change-password body has a token: %s", resp.Body)
	}
	reissued := acctSetCookie(t, resp)
	if reissued.Value == "" || reissued.Value == fresh || reissued.MaxAge <= 0 {
		t.Fatalf("re-issued cookie %q", reissued.String())
	}
	// Every older token is refused; the re-issued one works.
	for _, old := range []string{ada.Token, other, fresh} {
		s.wantSession(t, old, false)
	}
	s.wantSession(t, reissued.Value, true)
	// The new password signs in; the old ones do not.
	s.signIn(t, "ada@example.com", "new password 2")
	for _, pw := range []string{acctPassword, pw72} {
		apptest.WantError(t, s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": pw}, ""), http.StatusUnauthorized, acctInvalidCreds)
	}
}

func TestAccountsForgotPasswordLogged(t *testing.T) {
	s := acctStart(t, nil) // no SMTP_URL: the link goes to the log
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	const prefix = "http://spa.test/reset-password/" // from CLIENT_URL

	known := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": " ADA@example.com "}, "")
	unknown := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "nobody@example.com"}, "")
	for _, r := range []*struct {
		name string
		body []byte
		code int
		set  string
	}{{"known", known.Body, known.StatusCode, known.Header.Get("Set-Cookie")}, {"unknown", unknown.Body, unknown.StatusCode, unknown.Header.Get("Set-Cookie")}} {
		if r.code != http.StatusOK || r.set != "" {
			t.Errorf("%s email: status %d, Set-Cookie %q", r.name, r.code, r.set)
		}
	}
	wantOK(t, known, http.StatusOK, acctForgotMessage)
	if !bytes.Equal(known.Body, unknown.Body) {
		t.Errorf("known and unknown emails answer differently:\n%s\n%s", known.Body, unknown.Body)
	}
	wantValidation(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "not an email"}, ""), "email")

	link := acctWaitResetLink(t, s.Server, "ada@example.com", 0)
	token := acctTokenOf(t, link, prefix)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Errorf("token %q is not 32 URL-safe random bytes", token)
	}
	if links := acctResetLinks(s.Server, "nobody@example.com"); len(links) != 0 {
		t.Errorf("a link was made for an unknown email: %v", links)
	}
	// Only the SHA-256 of the token is stored, with a 15-minute expiry.
	doc := s.userDoc(t, "ada@example.com")
	stored, _ := doc["resetPasswordToken"].(string)
	sum := sha256.Sum256([]byte(token))
	if stored == "" || strings.Contains(stored, token) || (stored != hex.EncodeToString(sum[:]) && stored != base64.RawURLEncoding.EncodeToString(sum[:])) {
		t.Errorf("stored reset token %q, want the SHA-256 of %q", stored, token)
	}
	if exp := doc["resetPasswordExpires"]; exp == nil {
		t.Error("no resetPasswordExpires stored")
	} else if d := time.Until(exp.(interface{ Time() time.Time }).Time()); d < 14*time.Minute || d > 15*time.Minute+time.Second {
		t.Errorf("reset token expires in %v, want 15m", d)
	}

	// A second request replaces the first link.
	wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, ""), http.StatusOK, acctForgotMessage)
	token2 := acctTokenOf(t, acctWaitResetLink(t, s.Server, "ada@example.com", 1), prefix)
	if token2 == token {
		t.Fatal("the same token twice")
	}
	apptest.WantError(t, s.call(t, http.MethodPost, acctResetPW+token, map[string]string{"password": "reset password 1"}, ""), http.StatusBadRequest, acctBadReset)

	// Reset: validated first, then single use; it ends every session.
	wantValidation(t, s.call(t, http.MethodPost, acctResetPW+token2, map[string]string{"password": "short"}, ""), "password")
	wantValidation(t, s.call(t, http.MethodPost, acctResetPW+token2, map[string]string{"password": strings.Repeat("r", 73)}, ""), "password")
	resp := s.call(t, http.MethodPost, acctResetPW+token2, map[string]string{"password": "reset password 1"}, "")
	wantOK(t, resp, http.StatusOK, "Password reset successful")
	if bytes.Contains(resp.Body, []byte(token2)) {
		t.Error("the reset answer shows the token")
	}
	s.wantSession(t, ada.Token, false)
	apptest.WantError(t, s.call(t, http.MethodPost, acctResetPW+token2, map[string]string{"password": "reset password 2"}, ""), http.StatusBadRequest, acctBadReset)
	s.signIn(t, "ada@example.com", "reset password 1")
	apptest.WantError(t, s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": acctPassword}, ""), http.StatusUnauthorized, acctInvalidCreds)
	doc = s.userDoc(t, "ada@example.com")
	if _, ok := doc["resetPasswordToken"]; ok {
		t.Errorf("reset token still stored: %v", doc)
	}

	for _, bad := range []string{"unknown", strings.Repeat("x", 200), "%24ne", url0(token2)} {
		apptest.WantError(t, s.call(t, http.MethodPost, acctResetPW+bad, map[string]string{"password": "reset password 3"}, ""), http.StatusBadRequest, acctBadReset)
	}
	if resp := s.call(t, http.MethodPost, acctResetPW, map[string]string{"password": "reset password 3"}, ""); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("reset without a token: status %d", resp.StatusCode)
	}
}

// url0 changes the first character of a token.
func url0(tok string) string {
	if tok[0] == 'A' {
		return "B" + tok[1:]
	}
	return "A" + tok[1:]
}

func TestAccountsForgotPasswordHostileHost(t *testing.T) {
	const configured = "https://app.example.org/auth/reset?token={token}"
	s := acctStart(t, map[string]string{"RESET_PASSWORD_URL": configured})
	s.signUp(t, "Ada", "ada@example.com", "")

	plain := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, "")
	wantOK(t, plain, http.StatusOK, acctForgotMessage)
	hostile := func(email string) []byte {
		req := s.NewRequest(t, http.MethodPost, acctForgot, map[string]string{"email": email}).
			WithHeader("X-Forwarded-Host", "evil.example").
			WithHeader("X-Forwarded-Proto", "http").
			WithHeader("X-Original-URL", "http://evil.example/").
			WithHeader("Forwarded", "host=evil.example;proto=http")
		req.Host = "evil.example"
		resp := s.send(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("hostile Host: status %d, body %s", resp.StatusCode, resp.Body)
		}
		return resp.Body
	}
	for _, body := range [][]byte{hostile("ada@example.com"), hostile("nobody@example.com")} {
		if !bytes.Equal(body, plain.Body) {
			t.Errorf("answer %s, want %s", body, plain.Body)
		}
	}
	for i := range 2 {
		link := acctWaitResetLink(t, s.Server, "ada@example.com", i)
		tok := acctTokenOf(t, link, "https://app.example.org/auth/reset?token=")
		if strings.Contains(link, "evil") || strings.Contains(link, "127.0.0.1") {
			t.Errorf("link %q is built from request headers", link)
		}
		if i == 1 {
			wantOK(t, s.call(t, http.MethodPost, acctResetPW+tok, map[string]string{"password": "reset password 1"}, ""), http.StatusOK, "Password reset successful")
		}
	}
}

func TestAccountsConcurrentReset(t *testing.T) {
	s := acctStart(t, map[string]string{"AUTH_RATE_LIMIT_MAX": "1000"})
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, ""), http.StatusOK, acctForgotMessage)
	token := acctTokenOf(t, acctWaitResetLink(t, s.Server, "ada@example.com", 0), "http://spa.test/reset-password/")

	const n = 20
	results := concurrently(n, func(i int) result {
		return sendRaw(http.MethodPost, s.URL+acctResetPW+token, "application/json", "", map[string]string{"password": "concurrent pw " + string(rune('a'+i))})
	})
	winner := -1
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("request %d: %v", i, r.err)
		}
		acctCheckBody(t, r.body)
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		switch r.status {
		case http.StatusOK:
			if winner >= 0 {
				t.Errorf("requests %d and %d both reset the password", winner, i)
			}
			winner = i
			if m["message"] != "Password reset successful" {
				t.Errorf("request %d: body %s", i, r.body)
			}
		case http.StatusBadRequest:
			if m["status"] != "fail" || m["message"] != acctBadReset {
				t.Errorf("request %d: body %s", i, r.body)
			}
		default:
			t.Errorf("request %d: status %d, body %s", i, r.status, r.body)
		}
	}
	if winner < 0 {
		t.Fatal("no reset succeeded")
	}
	// The winner's password is the one that works; the version moved once.
	s.signIn(t, "ada@example.com", "concurrent pw "+string(rune('a'+winner)))
	for i := range n {
		if i != winner {
			resp := s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": "concurrent pw " + string(rune('a'+i))}, "")
			apptest.WantError(t, resp, http.StatusUnauthorized, acctInvalidCreds)
			break
		}
	}
	if tv := s.userDoc(t, "ada@example.com")["tokenVersion"]; tv != int64(1) {
		t.Errorf("tokenVersion %v, want 1", tv)
	}
	s.wantSession(t, ada.Token, false)
}

func TestAccountsExpiredResetToken(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, ""), http.StatusOK, acctForgotMessage)
	token := acctTokenOf(t, acctWaitResetLink(t, s.Server, "ada@example.com", 0), "http://spa.test/reset-password/")
	s.SetResetToken(t, ada.ID, token, time.Now().Add(-time.Second))
	apptest.WantError(t, s.call(t, http.MethodPost, acctResetPW+token, map[string]string{"password": "reset password 1"}, ""), http.StatusBadRequest, acctBadReset)
	s.signIn(t, "ada@example.com", acctPassword)
	s.wantSession(t, ada.Token, true)
}

// acctMail is one message the test SMTP server accepted.
type acctMail struct {
	from string
	to   []string
	data []byte
}

// acctSMTP is an in-process SMTP server that keeps what it is sent.
type acctSMTP struct {
	mu    sync.Mutex
	mails []acctMail
	got   chan struct{}
}

func (b *acctSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &acctSMTPSession{b: b}, nil }

type acctSMTPSession struct {
	b   *acctSMTP
	cur acctMail
}

func (s *acctSMTPSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur = acctMail{from: from}
	return nil
}

func (s *acctSMTPSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *acctSMTPSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.mails = append(s.b.mails, s.cur)
	s.b.mu.Unlock()
	s.b.got <- struct{}{}
	return nil
}

func (s *acctSMTPSession) Reset()        { s.cur = acctMail{} }
func (s *acctSMTPSession) Logout() error { return nil }

// startSMTP starts an SMTP server on a loopback port and returns its
// address; it stops with the test.
func startSMTP(t *testing.T) (string, *acctSMTP) {
	t.Helper()
	be := &acctSMTP{got: make(chan struct{}, 100)}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return l.Addr().String(), be
}

// next waits for the next mail.
func (b *acctSMTP) next(t *testing.T) acctMail {
	t.Helper()
	select {
	case <-b.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mails[len(b.mails)-1]
}

var acctLinkRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// linkIn parses a mail and returns the one link in its body.
func linkIn(t *testing.T, m acctMail) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
	if err != nil {
		t.Fatalf("mail does not parse: %v\n%s", err, m.data)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	links := acctLinkRE.FindAllString(string(text), -1)
	if len(links) != 1 {
		t.Fatalf("links in mail: %v\n%s", links, text)
	}
	return msg, links[0]
}

func TestAccountsResetMailOverSMTP(t *testing.T) {
	addr, smtpd := startSMTP(t)
	s := acctStart(t, map[string]string{
		"SMTP_URL":           "smtp://" + addr,
		"MAIL_FROM":          "LMS <no-reply@lms.example>",
		"RESET_PASSWORD_URL": "https://app.example.org/reset-password/{token}",
	})
	ada := s.signUp(t, "Ada Lovelace", "ada@example.com", "")

	req := s.NewRequest(t, http.MethodPost, acctForgot, map[string]string{"email": "Ada@Example.com"})
	req.Host = "evil.example"
	wantOK(t, s.send(t, req), http.StatusOK, acctForgotMessage)
	m := smtpd.next(t)
	if m.from != "no-reply@lms.example" || len(m.to) != 1 || m.to[0] != "ada@example.com" {
		t.Errorf("envelope from %q to %v", m.from, m.to)
	}
	msg, link := linkIn(t, m)
	if to, err := mail.ParseAddress(msg.Header.Get("To")); err != nil || to.Address != "ada@example.com" {
		t.Errorf("To: %q", msg.Header.Get("To"))
	}
	if msg.Header.Get("Subject") == "" {
		t.Error("no Subject")
	}
	token := acctTokenOf(t, link, "https://app.example.org/reset-password/")
	// With SMTP configured, the link is not in the log.
	if strings.Contains(s.Logs(), token) {
		t.Error("the reset token is in the log")
	}
	// An unknown email sends nothing and answers the same.
	wantOK(t, s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "nobody@example.com"}, ""), http.StatusOK, acctForgotMessage)

	wantOK(t, s.call(t, http.MethodPost, acctResetPW+token, map[string]string{"password": "mailed password 1"}, ""), http.StatusOK, "Password reset successful")
	s.wantSession(t, ada.Token, false)
	s.wantSession(t, s.signIn(t, "ada@example.com", "mailed password 1"), true)
	apptest.WantError(t, s.call(t, http.MethodPost, acctResetPW+token, map[string]string{"password": "mailed password 2"}, ""), http.StatusBadRequest, acctBadReset)

	select {
	case <-smtpd.got:
		t.Error("a mail was sent for an unknown email")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestAccountsResetMailFailureKeepsAnswer(t *testing.T) {
	// Nothing listens here: delivery fails, the answer does not change.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := acctStart(t, map[string]string{"SMTP_URL": "smtp://" + addr})
	s.signUp(t, "Ada", "ada@example.com", "")
	known := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, "")
	unknown := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "nobody@example.com"}, "")
	wantOK(t, known, http.StatusOK, acctForgotMessage)
	if !bytes.Equal(known.Body, unknown.Body) {
		t.Errorf("answers differ: %s / %s", known.Body, unknown.Body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.Logs(), "send password reset mail") {
		if time.Now().After(deadline) {
			t.Fatalf("the mail failure was not logged:\n%s", s.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A reset token that is still usable never reaches the request log.
func TestResetTokenNotLogged(t *testing.T) {
	srv := acctStart(t, nil)
	const token = "still-valid-token-abcdefghijklmnopqrstuvwxyz"
	resp := srv.call(t, http.MethodPost, "/api/v1/user/reset-password/"+token, map[string]string{"password": "short"}, "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
	logs := srv.Logs()
	if strings.Contains(logs, token) {
		t.Fatalf("the reset token is in the log:\n%s", logs)
	}
	if !strings.Contains(logs, "/api/v1/user/reset-password/[redacted]") {
		t.Fatalf("the request line is missing:\n%s", logs)
	}
}
