package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/config"
)

// The server runs in a child process, this same program started with
// childEnv set to the JSON of its seedSpec. It talks to the parent over its
// standard streams, one line at a time:
//
//	child → parent: the readyLine (JSON) once the data is seeded and it listens
//	parent → child: "cpu"; child → parent: its CPU time so far in ns
//	parent closes stdin: the child shuts down and exits
//
// Its own logs (the service's request log included) go to server.log in its
// data directory; seeding progress goes to stderr.
const childEnv = "LMS_LOADTEST_SERVER"

// readyLine is what the child reports once it serves.
type readyLine struct {
	URL      string   `json:"url"`
	Fixtures fixtures `json:"fixtures"`
	SeedTime string   `json:"seedTime"`
	Phases   []phase  `json:"phases"`
}

// serveChild is the child: it starts the service on a fresh embedded
// database, seeds it and serves on a loopback port until stdin closes.
func serveChild(ctx context.Context, specJSON string, stdin io.Reader, stdout, stderr io.Writer) error {
	var spec seedSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return fmt.Errorf("child spec: %w", err)
	}
	logFile, err := os.Create(filepath.Join(spec.DataDir, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"APP_ENV":                "development",
		"DATA_DIR":               spec.DataDir,
		"SECRET_KEY":             hex.EncodeToString(secret),
		"BCRYPT_COST":            strconv.Itoa(spec.BcryptCost),
		"CATALOG_CACHE_TTL":      spec.CacheTTL.String(),
		"RATE_LIMIT_MAX":         "1000000000",
		"AUTH_IP_RATE_LIMIT_MAX": "1000000000",
		"LOG_FORMAT":             "json",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	logger := app.NewLogger(cfg, logFile)
	db, closeDB, err := app.OpenDB(cfg, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	a, err := app.New(ctx, cfg, logger, db)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}

	start := time.Now()
	fx, phases, err := seed(ctx, db, spec, stderr)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	seedTime := time.Since(start).Round(time.Millisecond)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	out := json.NewEncoder(stdout)
	if err := out.Encode(readyLine{URL: "http://" + ln.Addr().String(), Fixtures: *fx, SeedTime: seedTime.String(), Phases: phases}); err != nil {
		return err
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case line, ok := <-lines:
			if !ok {
				return nil // the parent is done (or gone)
			}
			if line == "cpu" {
				if err := out.Encode(cpuTime()); err != nil {
					return err
				}
			}
		}
	}
}

// cpuTime is this process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// child is the running server process, seen from the parent.
type child struct {
	cmd     *exec.Cmd
	dir     string
	logCopy string // where to copy the server's log when it stops
	stdin   io.WriteCloser
	out     *bufio.Scanner
	mu      sync.Mutex
	ready   readyLine
	stopped bool
}

// startChild starts the server process and waits until it has seeded its
// database and listens.
func startChild(ctx context.Context, spec seedSpec, logCopy string, stderr io.Writer) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lms-loadtest-")
	if err != nil {
		return nil, err
	}
	spec.DataDir = dir
	specJSON, _ := json.Marshal(spec)
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"="+string(specJSON))
	cmd.Stderr = stderr
	cmd.WaitDelay = 15 * time.Second
	cmd.SysProcAttr = childProcAttr()
	c := &child{cmd: cmd, dir: dir, logCopy: logCopy}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.out = bufio.NewScanner(stdout)
	c.out.Buffer(make([]byte, 0, 1<<20), 64<<20)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if !c.out.Scan() {
		logTail(stderr, filepath.Join(dir, "server.log"))
		c.stop(stderr)
		return nil, errors.New("server exited before it was ready (see above)")
	}
	if err := json.Unmarshal(c.out.Bytes(), &c.ready); err != nil {
		c.stop(stderr)
		return nil, fmt.Errorf("server's ready line: %w", err)
	}
	return c, nil
}

// cpu asks the server for its CPU time so far.
func (c *child) cpu() (time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.stdin, "cpu\n"); err != nil {
		return 0, err
	}
	if !c.out.Scan() {
		return 0, errors.New("server stopped answering")
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(c.out.Text()), 10, 64)
	return time.Duration(ns), err
}

// stop ends the server (closing its stdin asks it to shut down), waits for
// it and removes its data directory.
func (c *child) stop(stderr io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.stopped = true
	c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(stderr, "loadtest: server:", err)
		}
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
	if c.logCopy != "" {
		if b, err := os.ReadFile(filepath.Join(c.dir, "server.log")); err == nil {
			err = os.WriteFile(c.logCopy, b, 0o600)
			if err != nil {
				fmt.Fprintln(stderr, "loadtest: server log:", err)
			}
		}
	}
	os.RemoveAll(c.dir)
}

// logTail copies the last lines of the server's log to w.
func logTail(w io.Writer, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines[max(0, len(lines)-20):] {
		fmt.Fprintln(w, "server.log:", l)
	}
}
