package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

const healthPath = "/api/v1/healthcheck"

// healthClientTimeout is API.md's bound: a health check answers within 3 s,
// whatever the database does.
const healthClientTimeout = 3 * time.Second

// getHealth asks for the health check with a client that gives up after
// healthClientTimeout, and returns the status and the decoded body.
func getHealth(t *testing.T, s *apptest.Server) (int, map[string]any) {
	t.Helper()
	client := &http.Client{Timeout: healthClientTimeout}
	resp, err := client.Get(s.URL + healthPath)
	if err != nil {
		t.Fatalf("GET %s (bounded by %v): %v", healthPath, healthClientTimeout, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read health body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("health body is not a JSON object: %v\n%s", err, raw)
	}
	return resp.StatusCode, body
}

// wantHealthShape asserts the documented shape of the health body and that
// the database part says healthy or not.
func wantHealthShape(t *testing.T, body map[string]any, healthy bool) {
	t.Helper()
	wantKeys(t, "health", body, "status", "timeStamp", "services")
	ts, _ := body["timeStamp"].(string)
	if at, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Errorf("timeStamp %q is not RFC 3339: %v", ts, err)
	} else if d := time.Since(at); d < -time.Minute || d > time.Minute {
		t.Errorf("timeStamp %v is not now", at)
	}
	services := apptest.Object(t, body, "services")
	wantKeys(t, "services", services, "databases", "server")

	db := apptest.Object(t, services, "databases")
	wantKeys(t, "services.databases", db, "status", "details")
	details := apptest.Object(t, db, "details")
	wantKeys(t, "services.databases.details", details, "isConnected", "readyState")
	wantStatus, wantReady := "unhealthy", "disconnected"
	if healthy {
		wantStatus, wantReady = "healthy", "connected"
	}
	if db["status"] != wantStatus || details["isConnected"] != healthy || details["readyState"] != wantReady {
		t.Errorf("databases = %v, want status %q, isConnected %v, readyState %q", db, wantStatus, healthy, wantReady)
	}

	srv := apptest.Object(t, services, "server")
	wantKeys(t, "services.server", srv, "status", "uptime", "memoryUsage")
	if srv["status"] != "healthy" {
		t.Errorf("server status %v, want healthy", srv["status"])
	}
	if up, ok := srv["uptime"].(float64); !ok || up < 0 {
		t.Errorf("uptime %v, want a number of seconds", srv["uptime"])
	}
	mem := apptest.Object(t, srv, "memoryUsage")
	wantKeys(t, "services.server.memoryUsage", mem, "rss", "heapTotal", "heapUsed", "external", "arrayBuffers")
	for k, v := range mem {
		if n, ok := v.(float64); !ok || n < 0 {
			t.Errorf("memoryUsage.%s = %v, want a number", k, v)
		}
	}
	if rss, heap := mem["rss"].(float64), mem["heapUsed"].(float64); rss == 0 || heap == 0 {
		t.Errorf("memoryUsage rss %v, heapUsed %v: want real figures", rss, heap)
	}
}

func TestHealthOK(t *testing.T) {
	s := apptest.Start(t, nil)
	status, body := getHealth(t, s)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %v", status, body)
	}
	if body["status"] != "OK" {
		t.Errorf("status %v, want OK", body["status"])
	}
	wantHealthShape(t, body, true)
}

// connectTo connects the way the service does to uri; the client is closed
// when the test ends.
func connectTo(t *testing.T, opts mongodb.Options) *mongodb.DB {
	t.Helper()
	db, err := mongodb.Connect(opts)
	if err != nil {
		t.Fatalf("Connect(%s): %v", opts.URI, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = db.Close(ctx)
	})
	return db
}

func TestHealthUnavailableDatabase(t *testing.T) {
	t.Parallel() // it waits out two 2 s pings and needs no shared database
	db := connectTo(t, mongodb.Options{URI: "mongodb://" + apptest.ClosedAddr(t) + "/", Database: "lms"})
	s := apptest.StartWith(t, db, nil)

	for i := range 2 { // the process keeps serving after the first 503
		status, body := getHealth(t, s)
		if status != http.StatusServiceUnavailable {
			t.Fatalf("request %d: status %d, want 503; body %v", i+1, status, body)
		}
		wantHealthShape(t, body, false)
	}
	// Routes that need no database still answer.
	resp := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics with the database down: %d", resp.StatusCode)
	}
}

// proxiedOptions returns connection options for a fresh test database that
// reach the database server through p.
func proxiedOptions(t *testing.T) (mongodb.Options, *tcpProxy) {
	t.Helper()
	return throughProxy(t, mongotest.Options(t))
}

// throughProxy returns opts changed to reach the database server through a
// new proxy.
func throughProxy(t *testing.T, opts mongodb.Options) (mongodb.Options, *tcpProxy) {
	t.Helper()
	u, err := url.Parse(opts.URI)
	if err != nil || u.Scheme != "mongodb" || u.Host == "" {
		t.Fatalf("cannot put a proxy in front of %q: want a mongodb:// URI with one host", opts.URI)
	}
	p := startProxy(t, u.Host)
	u.Host = p.Addr()
	q := u.Query()
	q.Del("replicaSet") // talk to the proxy only, never to discovered members
	q.Set("directConnection", "true")
	u.RawQuery = q.Encode()
	opts.URI = u.String()
	return opts, p
}

func TestHealthRecoversWhenDatabaseReturns(t *testing.T) {
	opts, proxy := proxiedOptions(t)
	db := mongotest.OpenWith(t, opts)
	s := apptest.StartWith(t, db, nil)

	if status, body := getHealth(t, s); status != http.StatusOK {
		t.Fatalf("through the proxy: status %d, want 200; body %v", status, body)
	}

	proxy.Cut()
	status, body := getHealth(t, s)
	if status != http.StatusServiceUnavailable {
		t.Fatalf("database cut off: status %d, want 503; body %v", status, body)
	}
	wantHealthShape(t, body, false)

	proxy.Restore()
	const attempts = 150 // × ≤ 3 s per attempt + 100 ms pause: bounded
	for i := range attempts {
		status, body = getHealth(t, s)
		if status == http.StatusOK {
			wantHealthShape(t, body, true)
			t.Logf("healthy again after %d attempts", i+1)
			return
		}
		if status != http.StatusServiceUnavailable {
			t.Fatalf("while recovering: status %d, want 503 or 200; body %v", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("still unhealthy after %d health checks with the database back", attempts)
}
