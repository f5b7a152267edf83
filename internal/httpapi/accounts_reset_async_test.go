package httpapi_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb"
)

// In production without SMTP_URL a reset link is never logged: start-up
// warns that resets cannot be delivered, and the answer stays the same.
func TestProductionNeverLogsResetLinks(t *testing.T) {
	s := acctStart(t, map[string]string{"APP_ENV": "production", "MONGODB_URI": "mongodb://db.invalid", "BCRYPT_COST": "10"})
	if logs := s.Logs(); !strings.Contains(logs, "SMTP_URL") || !strings.Contains(logs, "cannot be delivered") {
		t.Errorf("no start-up warning about undeliverable resets:\n%s", logs)
	}
	s.signUp(t, "Ada", "ada@example.com", "")
	known := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, "")
	unknown := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "nobody@example.com"}, "")
	wantOK(t, known, http.StatusOK, acctForgotMessage)
	if !bytes.Equal(known.Body, unknown.Body) {
		t.Errorf("answers differ: %s / %s", known.Body, unknown.Body)
	}
	s.App.Users.Wait() // the background work is done
	logs := s.Logs()
	if strings.Contains(logs, "/reset-password/") {
		t.Errorf("a reset link is in the production log:\n%s", logs)
	}
	if !strings.Contains(logs, "password reset mail not sent: no SMTP_URL") {
		t.Errorf("the undelivered reset is not logged:\n%s", logs)
	}
}

// Forgot-password does no database work on the request path, so a
// registered email cannot answer later than an unknown one: with the
// database unreachable both answer the usual 200 at once.
func TestForgotPasswordAnswersBeforeAnyLookup(t *testing.T) {
	t.Parallel() // it waits out the background lookups against a dead database
	db := connectTo(t, mongodb.Options{URI: "mongodb://" + apptest.ClosedAddr(t) + "/", Database: "lms"})
	s := apptest.StartWith(t, db, nil)
	t.Cleanup(s.App.Users.Wait) // before the database handle closes
	var bodies [][]byte
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		resp := s.Do(t, http.MethodPost, acctForgot, map[string]string{"email": email}, "")
		wantOK(t, resp, http.StatusOK, acctForgotMessage)
		bodies = append(bodies, resp.Body)
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Errorf("answers differ: %s / %s", bodies[0], bodies[1])
	}
}

// stalledSMTP accepts connections and never answers, like a mail server
// that hangs; Release closes them.
type stalledSMTP struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startStalledSMTP(t *testing.T) *stalledSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stalledSMTP{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.Release)
	return s
}

// Release closes the listener and every connection.
func (s *stalledSMTP) Release() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// While the mail server hangs, forgot-password keeps answering at once, and
// the work waiting behind it is bounded: what does not fit is dropped and
// logged, with the same answer.
func TestForgotPasswordWorkIsBounded(t *testing.T) {
	smtpd := startStalledSMTP(t)
	s := acctStart(t, map[string]string{"SMTP_URL": "smtp://" + smtpd.ln.Addr().String()})
	t.Cleanup(s.App.Users.Wait)
	t.Cleanup(smtpd.Release) // runs first: lets the stuck mail fail
	s.signUp(t, "Ada", "ada@example.com", "")
	first := s.call(t, http.MethodPost, acctForgot, map[string]string{"email": "ada@example.com"}, "")
	wantOK(t, first, http.StatusOK, acctForgotMessage)
	const n = 110 // more than the queue holds; sent at once, well within the mail timeout
	results := concurrently(n, func(i int) result {
		return sendRaw(http.MethodPost, s.URL+acctForgot, "application/json", "", map[string]string{"email": fmt.Sprintf("user%d@example.com", i)})
	})
	for i, r := range results {
		if r.err != nil || r.status != http.StatusOK || !bytes.Equal(r.body, first.Body) {
			t.Fatalf("request %d: %d %s %v", i, r.status, r.body, r.err)
		}
	}
	if !strings.Contains(s.Logs(), "password reset dropped") {
		t.Errorf("%d requests behind a hung mail server: none dropped:\n%s", n, s.Logs())
	}
}
