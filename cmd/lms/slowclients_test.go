package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Slow clients do not starve others: with 300 connections open on the
// server as `lms serve` runs it — 100 trickling a request header, 100
// trickling a JSON body, 100 idle after a keep-alive request — the 99th
// percentile of 200 health reads stays under 100 ms. All loopback, a few
// seconds in all.
func TestFaultSlowClientsDoNotStarveOthers(t *testing.T) {
	port := strconv.Itoa(freePort(t))
	addr := "127.0.0.1:" + port
	startServe(t, map[string]string{
		"PORT": port, "DATA_DIR": t.TempDir(), "APP_ENV": "test", "LOG_LEVEL": "error",
		"RATE_LIMIT_MAX": "1000000", "BCRYPT_COST": "4",
	})

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	// healthP99 reads the health check 200 times, one after another.
	healthP99 := func() time.Duration {
		took := make([]time.Duration, 200)
		for i := range took {
			start := time.Now()
			resp, err := client.Get("http://" + addr + "/api/v1/healthcheck")
			if err != nil {
				t.Fatalf("health read %d: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took[i] = time.Since(start)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("health read %d: status %d", i, resp.StatusCode)
			}
		}
		slices.Sort(took)
		return took[len(took)*99/100-1]
	}
	// The same reads without slow clients: what this machine manages now
	// (the suite runs under the race detector next to other packages).
	baseline := healthP99()

	const perKind = 100
	const trickle = 300 * time.Millisecond
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() {
		close(stop)
		wg.Wait()
	})
	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// dribble writes s one byte every trickle until it is written or the
	// test stops.
	dribble := func(c net.Conn, s string) {
		wg.Go(func() {
			for i := 0; i < len(s); i++ {
				select {
				case <-stop:
					return
				case <-time.After(trickle):
				}
				if _, err := c.Write([]byte{s[i]}); err != nil {
					return
				}
			}
		})
	}
	for range perKind {
		c := dial()
		dribble(c, "GET /api/v1/healthcheck HTTP/1.1\r\nHost: x\r\nX-Slow: "+string(make([]byte, 64))+"\r\n\r\n")
	}
	for range perKind {
		c := dial()
		body := `{"email":"slow@example.com","password":"a slow password"}`
		head := fmt.Sprintf("POST /api/v1/user/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		dribble(c, body)
	}
	for range perKind {
		c := dial()
		if _, err := io.WriteString(c, "GET /api/v1/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("keep-alive request: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		// The connection now sits idle, kept alive.
	}

	p99 := healthP99()
	t.Logf("health p99: %v alone, %v with %d slow connections open", baseline, p99, 3*perKind)
	// Starved clients wait seconds (a full connection table, a blocked
	// accept loop); the bound is 100 ms, raised only as far as this
	// machine is slow right now.
	if limit := max(100*time.Millisecond, 5*baseline); p99 >= limit {
		t.Errorf("p99 of health reads %v with slow clients open, want < %v", p99, limit)
	}
}
