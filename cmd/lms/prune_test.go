package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
)

func runPrune(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"prune"}, args...), reconcileEnv(dir, ""), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// seedEvents records webhook events through the repository, as deliveries
// at various times would have left them.
func seedEvents(t *testing.T, a *app.App, now time.Time) {
	t.Helper()
	ctx := context.Background()
	events := mongodb.NewWebhookEventRepo(a.DB)
	old := now.Add(-40 * 24 * time.Hour)
	claim := func(id string, at time.Time, lease time.Duration) {
		if c, err := events.Claim(ctx, payment.Event{ID: id, Type: "charge.refunded"}, "tok-"+id, at, lease); err != nil || c != payment.ClaimAcquired {
			t.Fatalf("claim %s: %v %v", id, c, err)
		}
	}
	claim("evt_old_processed", old, time.Minute)
	if err := events.Finish(ctx, "evt_old_processed", "tok-evt_old_processed", old); err != nil {
		t.Fatal(err)
	}
	claim("evt_new_processed", now, time.Minute)
	if err := events.Finish(ctx, "evt_new_processed", "tok-evt_new_processed", now); err != nil {
		t.Fatal(err)
	}
	claim("evt_old_leased", old, 100*24*time.Hour) // its delivery is (still) at work
	claim("evt_old_released", old, time.Minute)
	if err := events.Release(ctx, "evt_old_released", "tok-evt_old_released", "boom"); err != nil {
		t.Fatal(err)
	}
}

// wantEvents asserts which seeded records remain, probing through Claim:
// a processed record answers ClaimDone, one being processed ClaimBusy (or,
// released, ClaimAcquired again), a deleted one is recreated (ClaimAcquired).
func wantEvents(t *testing.T, a *app.App, oldProcessedKept bool) {
	t.Helper()
	ctx := context.Background()
	events := mongodb.NewWebhookEventRepo(a.DB)
	probe := func(id string) payment.Claim {
		c, err := events.Claim(ctx, payment.Event{ID: id, Type: "charge.refunded"}, "probe", time.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := probe("evt_new_processed"); got != payment.ClaimDone {
		t.Errorf("a recently processed event: claim %v, want it kept (done)", got)
	}
	if got := probe("evt_old_leased"); got != payment.ClaimBusy {
		t.Errorf("an old event still leased: claim %v, want it kept (busy)", got)
	}
	if got, want := probe("evt_old_processed"), map[bool]payment.Claim{true: payment.ClaimDone, false: payment.ClaimAcquired}[oldProcessedKept]; got != want {
		t.Errorf("the old processed event: claim %v, want %v", got, want)
	}
}

func TestPruneCommand(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	withApp(t, dir, "", func(a *app.App) { seedEvents(t, a, now) })

	code, out, errOut := runPrune(t, dir, "--older-than", "30d")
	if code != 0 || out != "deleted 1 webhook event records processed more than 720h0m0s ago\n" {
		t.Fatalf("prune: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The released event is still unprocessed: it stays, and a later
	// delivery takes it over.
	withApp(t, dir, "", func(a *app.App) {
		c, err := mongodb.NewWebhookEventRepo(a.DB).Claim(context.Background(), payment.Event{ID: "evt_old_released", Type: "charge.refunded"}, "later", time.Now(), time.Minute)
		if err != nil || c != payment.ClaimAcquired {
			t.Errorf("the released event: %v %v", c, err)
		}
		if n, err := a.Payments.PruneEvents(context.Background(), 30*24*time.Hour); err != nil || n != 0 {
			t.Errorf("a second prune deleted %d (%v), want 0", n, err)
		}
		wantEvents(t, a, false)
	})
}

func TestPruneCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{nil, {"--older-than", "0d"}, {"--older-than", "30x"}, {"--older-than", "-1h"}, {"--older-than", "30d", "extra"}} {
		if code, _, _ := runPrune(t, dir, args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

func TestServePrunesDaily(t *testing.T) {
	dir := t.TempDir()
	withApp(t, dir, "", func(a *app.App) {
		seedEvents(t, a, time.Now())
		var logs lockedBuffer
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			pruneDaily(ctx, a.Payments, 30*24*time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
			close(done)
		}()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs.String(), `msg="pruned webhook events" deleted=1 `) {
			if time.Now().After(deadline) {
				t.Fatalf("the daily prune did not run at start: %s", logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		wantEvents(t, a, false)
	})
}
