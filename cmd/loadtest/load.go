package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// request is one request of a scenario.
type request struct {
	method, path string
	body         any
	session      bool // with the client's session cookie
}

// scenario is a named load: each client sends next(client, i) for i = 0, 1, …
// back to back. route is the metrics route label of its requests. A
// scenario with flood also runs that many clients signing in meanwhile.
type scenario struct {
	name  string
	route string
	next  func(fx *fixtures, client, i int) request
	flood bool
}

const api = "/api/v1"

func scenarios() []scenario {
	signIn := func(fx *fixtures, client, _ int) request {
		u := fx.Clients[client%len(fx.Clients)]
		return request{method: http.MethodPost, path: api + "/user/signin", body: map[string]string{"email": u.Email, "password": fx.Password}}
	}
	published := func(_ *fixtures, _, _ int) request {
		return request{method: http.MethodGet, path: api + "/courses/published"}
	}
	return []scenario{
		{name: "health", route: "GET /api/v1/healthcheck", next: func(_ *fixtures, _, _ int) request {
			return request{method: http.MethodGet, path: api + "/healthcheck"}
		}},
		{name: "published", route: "GET /api/v1/courses/published", next: published},
		{name: "published-session", route: "GET /api/v1/courses/published", next: func(_ *fixtures, _, _ int) request {
			return request{method: http.MethodGet, path: api + "/courses/published", session: true}
		}},
		{name: "search", route: "GET /api/v1/courses/search", next: func(fx *fixtures, client, i int) request {
			term := fx.SearchTerms[(client+i)%len(fx.SearchTerms)]
			return request{method: http.MethodGet, path: api + "/courses/search?query=" + url.QueryEscape(term)}
		}},
		{name: "course", route: "GET /api/v1/courses/{courseId}", next: func(fx *fixtures, client, i int) request {
			return request{method: http.MethodGet, path: api + "/courses/" + fx.Courses[(client*7919+i*104729)%len(fx.Courses)]}
		}},
		{name: "profile", route: "GET /api/v1/user/profile", next: func(_ *fixtures, _, _ int) request {
			return request{method: http.MethodGet, path: api + "/user/profile", session: true}
		}},
		{name: "progress-get", route: "GET /api/v1/progress/{courseId}", next: func(fx *fixtures, client, _ int) request {
			return request{method: http.MethodGet, path: api + "/progress/" + fx.Clients[client%len(fx.Clients)].Course, session: true}
		}},
		{name: "progress-patch", route: "PATCH /api/v1/progress/{courseId}/lectures/{lectureId}", next: func(fx *fixtures, client, i int) request {
			u := fx.Clients[client%len(fx.Clients)]
			lecture := u.Lectures[i%len(u.Lectures)]
			return request{
				method: http.MethodPatch, path: api + "/progress/" + u.Course + "/lectures/" + lecture,
				body: map[string]bool{"isCompleted": i/len(u.Lectures)%2 == 0}, session: true,
			}
		}},
		{name: "signin", route: "POST /api/v1/user/signin", next: signIn},
		{name: "published-during-signin", route: "GET /api/v1/courses/published", next: published, flood: true},
	}
}

// floodRoute is the route of the sign-in flood.
const floodRoute = "POST /api/v1/user/signin"

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

func scenarioByName(name string) scenario {
	for _, s := range scenarios() {
		if s.name == name {
			return s
		}
	}
	panic("unknown scenario " + name)
}

// load drives the server.
type load struct {
	srv    *child
	o      *options
	fx     *fixtures
	client *http.Client
	tokens []string // a session per load client
}

func newLoad(srv *child, o *options) *load {
	tr := &http.Transport{MaxIdleConns: 0, MaxIdleConnsPerHost: o.concurrency + o.flood + 4, IdleConnTimeout: time.Minute}
	return &load{srv: srv, o: o, fx: &srv.ready.Fixtures, client: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// signIn gives every load client's user a session.
func (l *load) signIn(ctx context.Context) error {
	for _, u := range l.fx.Clients {
		resp, body, err := l.send(ctx, request{method: http.MethodPost, path: api + "/user/signin",
			body: map[string]string{"email": u.Email, "password": l.fx.Password}}, "")
		if err != nil {
			return fmt.Errorf("sign in %s: %w", u.Email, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sign in %s: %d %s", u.Email, resp.StatusCode, body)
		}
		var out struct{ Token string }
		if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
			return fmt.Errorf("sign in %s: no token in %s", u.Email, body)
		}
		l.tokens = append(l.tokens, out.Token)
	}
	return nil
}

func (l *load) send(ctx context.Context, r request, token string) (*http.Response, []byte, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, l.srv.ready.URL+r.path, body)
	if err != nil {
		return nil, nil, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.session && token != "" {
		req.AddCookie(&http.Cookie{Name: "token", Value: token})
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// result is what one group of clients did in a measured window.
type result struct {
	latencies []time.Duration // of every finished request
	errors    int             // transport errors and non-2xx answers
	statuses  map[int]int     // of the failed answers
}

// drive runs n clients of s.next until the deadline.
func (l *load) drive(ctx context.Context, n int, next func(fx *fixtures, client, i int) request, until time.Time) *result {
	ctx, cancel := context.WithDeadline(ctx, until.Add(30*time.Second))
	defer cancel()
	res := &result{statuses: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range n {
		wg.Go(func() {
			var lat []time.Duration
			errs, statuses := 0, map[int]int{}
			for i := 0; time.Now().Before(until); i++ {
				r := next(l.fx, c, i)
				start := time.Now()
				resp, _, err := l.send(ctx, r, l.tokens[c%len(l.tokens)])
				lat = append(lat, time.Since(start))
				switch {
				case err != nil:
					errs++
					statuses[0]++
				case resp.StatusCode/100 != 2:
					errs++
					statuses[resp.StatusCode]++
				}
				if ctx.Err() != nil {
					break
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			for k, v := range statuses {
				res.statuses[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return res
}

// row is one line of the report.
type row struct {
	Scenario     string
	Clients      int
	Requests     int
	Errors       int
	Statuses     map[int]int
	ReqPerSec    float64
	P50, P99     time.Duration
	CPUPerReq    time.Duration // the server's CPU time over all requests of the scenario
	DBCmdPerRq   float64       // database commands of this row's route per request
	UnkeyedPerRq float64       // of them, those filtered by more than an exact _id
}

// measure runs one scenario: a warm-up, then the measured window between
// two readings of the server's CPU time and command counters.
func (l *load) measure(ctx context.Context, s scenario) ([]row, error) {
	run := func(d time.Duration) (main, flood *result) {
		until := time.Now().Add(d)
		var wg sync.WaitGroup
		if s.flood && l.o.flood > 0 {
			wg.Go(func() { flood = l.drive(ctx, l.o.flood, scenarioByName("signin").next, until) })
		}
		main = l.drive(ctx, l.o.concurrency, s.next, until)
		wg.Wait()
		return main, flood
	}
	if l.o.warmup > 0 {
		run(l.o.warmup)
	}
	cmds0, err := l.dbCommands(ctx)
	if err != nil {
		return nil, err
	}
	cpu0, err := l.srv.cpu()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	main, flood := run(l.o.duration)
	elapsed := time.Since(start)
	cpu1, err := l.srv.cpu()
	if err != nil {
		return nil, err
	}
	cmds1, err := l.dbCommands(ctx)
	if err != nil {
		return nil, err
	}
	total := len(main.latencies)
	if flood != nil {
		total += len(flood.latencies)
	}
	var cpuPerReq time.Duration
	if total > 0 {
		cpuPerReq = (cpu1 - cpu0) / time.Duration(total)
	}
	delta := func(route string) dbCounts {
		return dbCounts{all: cmds1.all[route] - cmds0.all[route], unkeyed: cmds1.unkeyed[route] - cmds0.unkeyed[route]}
	}
	rows := []row{rowOf(s.name, l.o.concurrency, main, elapsed, cpuPerReq, delta(s.route))}
	if flood != nil {
		rows = append(rows, rowOf(s.name+"/signin", l.o.flood, flood, elapsed, cpuPerReq, delta(floodRoute)))
	}
	return rows, nil
}

func rowOf(name string, clients int, r *result, elapsed, cpuPerReq time.Duration, cmds dbCounts) row {
	out := row{Scenario: name, Clients: clients, Requests: len(r.latencies), Errors: r.errors, Statuses: r.statuses, CPUPerReq: cpuPerReq}
	if out.Requests == 0 {
		return out
	}
	slices.Sort(r.latencies)
	out.ReqPerSec = float64(out.Requests) / elapsed.Seconds()
	out.P50 = r.latencies[(len(r.latencies)-1)*50/100]
	out.P99 = r.latencies[(len(r.latencies)-1)*99/100]
	out.DBCmdPerRq = cmds.all / float64(out.Requests)
	out.UnkeyedPerRq = cmds.unkeyed / float64(out.Requests)
	return out
}

// dbCounts are database command counts: all of them, and the unkeyed ones
// (lms_db_unkeyed_commands_total).
type dbCounts struct{ all, unkeyed float64 }

// routeCounts are dbCounts' counters by route.
type routeCounts struct{ all, unkeyed map[string]float64 }

// dbCommands reads the database command counters from /metrics, summed by
// route.
func (l *load) dbCommands(ctx context.Context) (routeCounts, error) {
	resp, body, err := l.send(ctx, request{method: http.MethodGet, path: "/metrics"}, "")
	if err != nil {
		return routeCounts{}, fmt.Errorf("metrics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return routeCounts{}, fmt.Errorf("metrics: %d", resp.StatusCode)
	}
	all, err := parseRouteCounter(body, "lms_db_commands_total")
	if err != nil {
		return routeCounts{}, err
	}
	unkeyed, err := parseRouteCounter(body, "lms_db_unkeyed_commands_total")
	return routeCounts{all: all, unkeyed: unkeyed}, err
}

// parseRouteCounter sums the samples of one counter of a Prometheus text
// exposition by their route label.
func parseRouteCounter(body []byte, metric string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `route="`)
		route, _, ok := strings.Cut(rest, `"`)
		if !ok {
			return nil, fmt.Errorf("metrics line %q: no route", line)
		}
		n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out[route] += n
	}
	return out, sc.Err()
}
