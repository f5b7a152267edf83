package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects output written from other goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runWith runs the program with env and no arguments, returning the exit
// status and what it wrote.
func runWith(t *testing.T, ctx context.Context, env map[string]string) (int, string, string) {
	t.Helper()
	var stdout, stderr lockedBuffer
	code := run(ctx, nil, envOf(env), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunRejectsBadSettingInOneLine(t *testing.T) {
	tests := []struct{ variable, value string }{
		{"PORT", "abc"},
		{"PORT", "70000"},
		{"APP_ENV", "staging"},
		{"BCRYPT_COST", "2"},
		{"RATE_LIMIT_WINDOW", "soon"},
		{"TRUSTED_PROXIES", "everyone"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := runWith(t, context.Background(), map[string]string{tt.variable: tt.value, "DATA_DIR": dir})
			if code == 0 {
				t.Fatalf("exit status 0 with %s=%q", tt.variable, tt.value)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr is not one line: %q", stderr)
			}
			if !strings.Contains(stderr, tt.variable+":") {
				t.Errorf("stderr %q does not name %s", stderr, tt.variable)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("DATA_DIR touched before the configuration was valid: %v", entries)
			}
		})
	}
}

func TestRunProductionWithoutSecretFails(t *testing.T) {
	code, _, stderr := runWith(t, context.Background(), map[string]string{
		"APP_ENV": "production", "MONGODB_URI": "mongodb://db.invalid", "CLIENT_URL": "https://app.example.com",
		"DATA_DIR": t.TempDir(),
	})
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "SECRET_KEY") {
		t.Errorf("exit %d, stderr %q; want non-zero and one line naming SECRET_KEY", code, stderr)
	}
}

func TestRunCommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"help"}, envOf(nil), strings.NewReader(""), &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "serve") {
		t.Errorf("help: exit %d, stdout %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, envOf(nil), strings.NewReader(""), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `"frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr.String())
	}
}

// freePort returns a TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitRefused dials addr until the connection is refused, within a bound.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	for range 500 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNRESET) {
			continue // accepted into the backlog as the listener closed
		}
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("dial %s: %v, want connection refused", addr, err)
			}
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", addr)
}

func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	started, release := make(chan struct{}), make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release                          // in flight until the test says so…
		time.Sleep(200 * time.Millisecond) // …and then still slow
		_, _ = io.WriteString(w, "finished")
	})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, newHTTPServer(slow, logger), ln, logger) }()

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
		resp, err := client.Get("http://" + addr + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-started:
	case r := <-done:
		t.Fatalf("request ended before the handler ran: %+v", r)
	}

	cancel() // what SIGTERM does through signal.NotifyContext
	waitRefused(t, addr)
	select {
	case r := <-done:
		t.Fatalf("in-flight request ended before its handler finished: %+v", r)
	case err := <-served:
		t.Fatalf("serveHTTP returned with a request in flight: %v", err)
	default:
	}

	close(release)
	r := <-done
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request: status %d, body %q, err %v; want 200 finished", r.status, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("serveHTTP: %v", err)
	}
	waitRefused(t, addr)
}

// serving is `lms serve` running in a test.
type serving struct {
	cancel         context.CancelFunc
	exit           chan int
	stdout, stderr *lockedBuffer
}

// startServe runs `lms serve` with env (PORT among it) and waits, within a
// bound, until its health check answers 200. The caller stops it with
// cancel; the test's end does too.
func startServe(t *testing.T, env map[string]string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sv := &serving{cancel: cancel, exit: make(chan int, 1), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	go func() {
		sv.exit <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), sv.stdout, sv.stderr)
	}()

	url := "http://127.0.0.1:" + env["PORT"] + "/api/v1/healthcheck"
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 300 { // bounded: the embedded database starts in well under a second
		select {
		case code := <-sv.exit:
			t.Fatalf("run exited with %d before serving; stderr %q\n%s", code, sv.stderr.String(), sv.stdout.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return sv
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("never healthy; logs:\n%s", sv.stdout.String())
	return nil
}

func TestServeEndToEnd(t *testing.T) {
	port := freePort(t)
	dataDir := t.TempDir()
	env := map[string]string{
		"PORT":        strconv.Itoa(port),
		"DATA_DIR":    dataDir,
		"APP_ENV":     "test",
		"LOG_LEVEL":   "info",
		"BCRYPT_COST": "4", // the default 12 costs seconds under -race
	}
	sv := startServe(t, env)
	cancel, exit, stdout, stderr := sv.cancel, sv.exit, sv.stdout, sv.stderr
	if _, err := os.Stat(filepath.Join(dataDir, "secret.key")); err != nil {
		t.Errorf("no generated secret kept in DATA_DIR: %v", err)
	}
	if !strings.Contains(stdout.String(), "listening") {
		t.Errorf("no start-up log line:\n%s", stdout.String())
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("run returned %d after shutdown, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if stderr.String() != "" {
		t.Errorf("stderr: %q", stderr.String())
	}
	waitRefused(t, "127.0.0.1:"+strconv.Itoa(port))
}
