// Command loadtest measures the service on this machine: it starts the
// service on a fresh embedded database in a child process (so that the
// server's CPU time is its own), seeds a data set through the repositories,
// runs named scenarios over loopback at a given concurrency for a fixed
// time, and prints a table with req/s, p50 and p99 latency, the server's
// CPU-ms per request and database commands per request (from
// lms_db_commands_total on /metrics). It stops by itself.
//
//	go run ./cmd/loadtest -courses 200 -users 1000 -progress 5000 -duration 5s -concurrency 32
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if spec := os.Getenv(childEnv); spec != "" {
		err = serveChild(ctx, spec, os.Stdin, os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "loadtest:", err)
		}
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	seed        seedSpec
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	flood       int
	scenarios   []string
	timeout     time.Duration
	serverLog   string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.seed.Courses, "courses", 2000, "courses to seed (90% published)")
	fs.IntVar(&o.seed.Users, "users", 10000, "users to seed (one in 50 an instructor)")
	fs.IntVar(&o.seed.Progress, "progress", 50000, "progress records to seed, spread over the students")
	fs.IntVar(&o.seed.Lectures, "lectures", 5, "lectures per course")
	fs.IntVar(&o.seed.Enrol, "enrol", 3, "courses each signed-in load client's user is enrolled in (shown on its profile)")
	fs.IntVar(&o.seed.Workers, "seed-workers", 4, "goroutines seeding at once (the embedded database has one connection)")
	fs.BoolVar(&o.seed.Totals, "totals", false, "refresh every course's totals (RefreshTotals) after its lectures: quadratic on the embedded database")
	fs.IntVar(&o.seed.BcryptCost, "bcrypt-cost", 10, "BCRYPT_COST of the server and of the seeded password hash")
	fs.DurationVar(&o.seed.CacheTTL, "catalog-cache", 5*time.Second, "CATALOG_CACHE_TTL of the server (0 turns the cache off)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each scenario")
	fs.IntVar(&o.concurrency, "concurrency", 32, "clients per scenario")
	fs.IntVar(&o.flood, "flood", 32, "clients signing in during the published-during-signin scenario")
	list := fs.String("scenarios", strings.Join(scenarioNames(), ","), "scenarios to run, comma-separated")
	fs.StringVar(&o.serverLog, "server-log", "", "copy the server's log (JSON lines) to this file at the end")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "stop everything after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for _, n := range strings.Split(*list, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(scenarioNames(), n) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s)", n, strings.Join(scenarioNames(), ", "))
		}
		o.scenarios = append(o.scenarios, n)
	}
	if o.concurrency < 1 || o.flood < 0 || o.duration <= 0 || o.warmup < 0 || o.seed.Workers < 1 {
		return nil, errors.New("-concurrency and -seed-workers must be at least 1, -duration positive, -flood and -warmup not negative")
	}
	o.seed.Clients = max(o.concurrency, o.flood)
	if err := o.seed.check(); err != nil {
		return nil, err
	}
	return o, nil
}

// run is the whole program (the parent side): it starts the server, waits
// for the seed, runs the scenarios and prints the report to stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The child server's stderr is copied in by os/exec while run reports
	// its own progress there: serialise the two.
	stderr = &lockedWriter{w: stderr}
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	fmt.Fprintf(stderr, "loadtest: seeding %d courses × %d lectures, %d users, %d progress records (%d seed workers)\n",
		o.seed.Courses, o.seed.Lectures, o.seed.Users, o.seed.Progress, o.seed.Workers)
	srv, err := startChild(ctx, o.seed, o.serverLog, stderr)
	if err != nil {
		return err
	}
	defer srv.stop(stderr)
	fmt.Fprintf(stderr, "loadtest: server on %s; seeded in %s\n", srv.ready.URL, srv.ready.SeedTime)

	lt := newLoad(srv, o)
	if err := lt.signIn(ctx); err != nil {
		return err
	}
	var rows []row
	for _, name := range o.scenarios {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "loadtest: %s…\n", name)
		r, err := lt.measure(ctx, scenarioByName(name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, r...)
	}
	writeReport(stdout, o, srv.ready, rows)
	return nil
}

// lockedWriter serialises the writes of several goroutines to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
