// Package stripemock starts stripe-mock (github.com/stripe/stripe-mock, pinned
// by the tool directive in go.mod) for tests.
//
// The binary is found with `go tool -n stripe-mock`, run from the module root:
// the first call builds it into the Go build cache, later calls only print
// its path. Each instance listens on a free loopback port and is killed when
// its test (Start) or its test binary (StartShared) is done.
//
// stripe-mock takes a few seconds to load its OpenAPI spec, and it keeps no
// state between requests, so tests should share one instance per test binary
// through Shared, stopped from TestMain:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		stripemock.StopShared()
//		os.Exit(code)
//	}
//
//	func TestCheckout(t *testing.T) {
//		base := stripemock.Shared(t)
//		...
//	}
//
// The shared instance starts on first use, so a test binary whose tests never
// call Shared (a fuzz worker, say) starts nothing. On Linux the kernel also
// kills every instance when the test binary dies, cleanups run or not. Start
// gives a test an instance of its own.
package stripemock

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds the wait for a started process to answer.
const startTimeout = 60 * time.Second

// The package's only state: the binary's path, resolved once per test binary
// (running the go command takes a moment even when the build is cached), and
// the shared instance.
var (
	binary = sync.OnceValues(findBinary)
	shared struct {
		mu   sync.Mutex
		url  string
		stop func()
	}
)

// Start starts a stripe-mock process of tb's own and returns its base URL
// ("http://127.0.0.1:port"). The process is killed in tb.Cleanup. A failure
// to start is fatal to tb.
func Start(tb testing.TB) string {
	tb.Helper()
	url, stop, err := start()
	if err != nil {
		tb.Fatalf("stripemock: %v", err)
	}
	tb.Cleanup(stop)
	return url
}

// Shared returns the base URL of the test binary's shared stripe-mock
// process, starting it on first use. A failure to start is fatal to tb (and
// retried by the next caller). Stop it with StopShared from TestMain.
func Shared(tb testing.TB) string {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop == nil {
		url, stop, err := start()
		if err != nil {
			tb.Fatalf("stripemock: %v", err)
		}
		shared.url, shared.stop = url, stop
	}
	return shared.url
}

// StopShared kills the shared process, if one is running, and waits for it to
// exit. Call it from TestMain after m.Run; a later Shared starts a new one.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stop != nil {
		shared.stop()
		shared.url, shared.stop = "", nil
	}
}

// start finds the binary and launches it.
func start() (string, func(), error) {
	bin, err := binary()
	if err != nil {
		return "", nil, err
	}
	return launch(bin)
}

// findBinary builds stripe-mock through the module's tool directive, if it is
// not built yet, and returns its path.
func findBinary() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("find the go command: %w", err)
	}
	gomod, err := output(exec.Command(goBin, "env", "GOMOD"))
	if err != nil {
		return "", err
	}
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: cannot find the stripe-mock tool")
	}
	cmd := exec.Command(goBin, "tool", "-n", "stripe-mock")
	cmd.Dir = filepath.Dir(gomod)
	bin, err := output(cmd)
	if err != nil {
		return "", err
	}
	if bin == "" {
		return "", errors.New("go tool -n stripe-mock printed no path")
	}
	return bin, nil
}

func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// launch runs bin on ephemeral loopback ports, reads the HTTP address it
// reports and waits until it answers.
func launch(bin string) (string, func(), error) {
	// Both listeners get explicit loopback addresses: given only an HTTP
	// address, stripe-mock still opens HTTPS on :12112 on every interface,
	// which collides between instances.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("stripe-mock stdout: %w", err)
	}
	stderr := &limitedBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	exited := make(chan struct{})
	started := make(chan error, 1)
	addrc := make(chan string, 1)
	go func() {
		defer close(exited)
		// Pdeathsig fires when the thread that started the child ends, not
		// the process; this goroutine keeps its thread for the child's life.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Listening for HTTP at address: "); ok {
				addrc <- strings.TrimSpace(a)
				break
			}
		}
		// Keep draining so that stripe-mock never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
	}()
	if err := <-started; err != nil {
		return "", nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
	}

	fail := func(err error) (string, func(), error) {
		stop()
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return "", nil, err
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	var addr string
	select {
	case addr = <-addrc:
	case <-exited:
		return fail(errors.New("stripe-mock exited before listening"))
	case <-timer.C:
		return fail(fmt.Errorf("stripe-mock did not listen within %s", startTimeout))
	}
	baseURL := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := waitReady(ctx, baseURL); err != nil {
		return fail(err)
	}
	return baseURL, stop, nil
}

// waitReady polls baseURL until stripe-mock answers any HTTP response.
func waitReady(ctx context.Context, baseURL string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/v1/balance", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer sk_test_stripemock")
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stripe-mock at %s does not answer: %w", baseURL, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
