package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the server: the load test starts its
// own executable as the child.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := serveChild(context.Background(), spec, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestLoadTestEndToEnd runs every scenario for a moment on a tiny data set
// and checks the report: one row per scenario (two for the flood), every
// number parses, every scenario sent requests and none failed, and the
// database command counts are those of the routes (a count, never a time).
func TestLoadTestEndToEnd(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{
		"-courses", "10", "-users", "20", "-progress", "30", "-lectures", "2",
		"-duration", "1s", "-warmup", "0s", "-concurrency", "2", "-flood", "2", "-bcrypt-cost", "4",
		"-timeout", "3m",
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	rows := parseReport(t, stdout.String())
	var want []string
	for _, n := range scenarioNames() {
		want = append(want, n)
		if scenarioByName(n).flood {
			want = append(want, n+"/signin")
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), stdout.String())
	}
	for i, r := range rows {
		name := r["scenario"]
		if name != want[i] {
			t.Errorf("row %d is %q, want %q", i, name, want[i])
		}
		if n := num(t, r, "requests"); n < 1 {
			t.Errorf("%s: %v requests", name, n)
		}
		if n := num(t, r, "errors"); n != 0 {
			t.Errorf("%s: %v errors:\n%s", name, n, stdout.String())
		}
		for _, col := range reportHeader[1:] {
			num(t, r, col)
		}
	}
	// The health check pings the database once.
	if got := num(t, rows[0], "DB commands/req"); got != 1 {
		t.Errorf("health: %v DB commands per request, want 1", got)
	}
	// These routes keep to exact _id lookups (see TestRoundTripBudgets).
	for _, r := range rows {
		switch r["scenario"] {
		case "profile", "progress-get", "progress-patch", "signin":
			if got := num(t, r, "unkeyed/req"); got != 0 {
				t.Errorf("%s: %v unkeyed database commands per request, want 0", r["scenario"], got)
			}
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}

// parseReport reads the Markdown table of a report into one map per row,
// keyed by the header.
func parseReport(t *testing.T, report string) []map[string]string {
	t.Helper()
	var header []string
	var rows []map[string]string
	for _, line := range strings.Split(report, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if header == nil {
			header = cells
			if strings.Join(header, ",") != strings.Join(reportHeader, ",") {
				t.Fatalf("header %q, want %q", header, reportHeader)
			}
			continue
		}
		if len(cells) != len(header) {
			t.Fatalf("row %q: %d cells, want %d", line, len(cells), len(header))
		}
		r := map[string]string{}
		for i, h := range header {
			r[h] = cells[i]
		}
		rows = append(rows, r)
	}
	return rows
}

func num(t *testing.T, r map[string]string, col string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(r[col], 64)
	if err != nil {
		t.Errorf("%s: %s = %q is not a number", r["scenario"], col, r[col])
	}
	return f
}

func TestParseDBCommands(t *testing.T) {
	body := []byte(`# HELP lms_db_commands_total Database commands
# TYPE lms_db_commands_total counter
lms_db_commands_total{command="find",route="GET /api/v1/user/profile"} 6
lms_db_commands_total{command="update",route="GET /api/v1/user/profile"} 2
lms_db_commands_total{command="ping",route="GET /api/v1/healthcheck"} 3
lms_db_unkeyed_commands_total{command="find",route="GET /api/v1/user/profile"} 1
http_requests_total{method="GET",route="/x",status="200"} 9
`)
	got, err := parseRouteCounter(body, "lms_db_commands_total")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["GET /api/v1/user/profile"] != 8 || got["GET /api/v1/healthcheck"] != 3 {
		t.Errorf("got %v", got)
	}
	unkeyed, err := parseRouteCounter(body, "lms_db_unkeyed_commands_total")
	if err != nil {
		t.Fatal(err)
	}
	if len(unkeyed) != 1 || unkeyed["GET /api/v1/user/profile"] != 1 {
		t.Errorf("unkeyed: got %v", unkeyed)
	}
}

func TestFlagsAreChecked(t *testing.T) {
	for _, args := range [][]string{
		{"-scenarios", "nope"},
		{"-users", "10", "-concurrency", "32"},
		{"-progress", "1"},
		{"-duration", "0s"},
	} {
		var stderr bytes.Buffer
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
