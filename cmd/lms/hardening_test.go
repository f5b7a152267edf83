package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// With METRICS_ADDR, /metrics is served on its own listener and no longer
// on the API port.
func TestServeMetricsOnOwnListener(t *testing.T) {
	port, metricsPort := freePort(t), freePort(t)
	env := map[string]string{
		"PORT":         strconv.Itoa(port),
		"METRICS_ADDR": "127.0.0.1:" + strconv.Itoa(metricsPort),
		"DATA_DIR":     t.TempDir(),
		"APP_ENV":      "test",
		"BCRYPT_COST":  "4",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), &stdout, &stderr) }()

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	api := "http://127.0.0.1:" + strconv.Itoa(port)
	for i := 0; ; i++ {
		select {
		case code := <-exit:
			t.Fatalf("run exited with %d; stderr %q\n%s", code, stderr.String(), stdout.String())
		default:
		}
		if status, _ := get(api + "/api/v1/healthcheck"); status == http.StatusOK {
			break
		}
		if i == 300 {
			t.Fatalf("never healthy; logs:\n%s", stdout.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, body := get(api + "/metrics"); status != http.StatusNotFound {
		t.Errorf("API port /metrics: %d %s, want 404", status, body)
	}
	status, body := get("http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics")
	if status != http.StatusOK || !strings.Contains(body, "http_requests_total") {
		t.Errorf("metrics port /metrics: %d, want 200 with http_requests_total:\n%.300s", status, body)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d after shutdown; stderr %q", code, stderr.String())
		}
	case <-time.After(45 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	waitRefused(t, "127.0.0.1:"+strconv.Itoa(metricsPort))
}

// Production refuses to start with a weak key or a cheap bcrypt cost, in
// one line naming the variable, before touching DATA_DIR.
func TestRunProductionRefusesWeakSettings(t *testing.T) {
	base := map[string]string{
		"APP_ENV": "production", "MONGODB_URI": "mongodb://db.invalid", "CLIENT_URL": "https://app.example.com",
		"SECRET_KEY": "q0V8pY3kN7xWc2LrT9bZfH4mJ6sD1gA5uE8iO3tRyKwX",
	}
	for variable, value := range map[string]string{"SECRET_KEY": "changeme-changeme-changeme-changeme", "BCRYPT_COST": "8"} {
		env := map[string]string{"DATA_DIR": t.TempDir(), variable: value}
		for k, v := range base {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
		code, _, stderr := runWith(t, context.Background(), env)
		if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, variable+":") && !strings.Contains(stderr, " "+variable+":") {
			t.Errorf("%s=%s: exit %d, stderr %q; want non-zero and one line naming %s", variable, value, code, stderr, variable)
		}
	}
}
