package main

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// reportHeader is the header row of the report's table.
var reportHeader = []string{"scenario", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms", "server CPU-ms/req", "DB commands/req", "unkeyed/req"}

// writeReport prints the settings, the seeding times and one Markdown table
// row per scenario (and one more for a scenario's sign-in flood).
func writeReport(w io.Writer, o *options, ready readyLine, rows []row) {
	s := o.seed
	fmt.Fprintf(w, "lms load test, %s, %d CPUs (GOMAXPROCS %d), %s/%s\n", time.Now().UTC().Format(time.DateOnly),
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "data: %d courses (%d published) × %d lectures, %d users, %d progress records; BCRYPT_COST %d, CATALOG_CACHE_TTL %s\n",
		s.Courses, s.published(), s.Lectures, s.Users, s.Progress, s.BcryptCost, s.CacheTTL)
	var seeded []string
	for _, p := range ready.Phases {
		seeded = append(seeded, fmt.Sprintf("%s %d in %s", p.Name, p.Count, p.Duration))
	}
	totals := "not refreshed (-totals=false: totalDuration 0)"
	if s.Totals {
		totals = "refreshed"
	}
	fmt.Fprintf(w, "seeded in %s with %d workers: %s; course totals %s\n", ready.SeedTime, s.Workers, strings.Join(seeded, ", "), totals)
	fmt.Fprintf(w, "each scenario: %s warm-up, %s measured\n\n", o.warmup, o.duration)

	fmt.Fprintf(w, "| %s |\n", strings.Join(reportHeader, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---:|", len(reportHeader)))
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f |\n",
			r.Scenario, r.Clients, r.Requests, r.Errors, r.ReqPerSec, ms(r.P50), ms(r.P99), ms(r.CPUPerReq), r.DBCmdPerRq, r.UnkeyedPerRq)
	}
	for _, r := range rows {
		if r.Errors == 0 {
			continue
		}
		var parts []string
		for _, code := range slices.Sorted(maps.Keys(r.Statuses)) {
			what := fmt.Sprintf("status %d", code)
			if code == 0 {
				what = "transport error"
			}
			parts = append(parts, fmt.Sprintf("%d × %s", r.Statuses[code], what))
		}
		fmt.Fprintf(w, "\n%s errors: %s", r.Scenario, strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
