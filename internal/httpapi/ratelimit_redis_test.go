package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// Two instances with one REDIS_URL share one per-IP budget.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	redis := miniredis.RunT(t)
	env := map[string]string{"REDIS_URL": "redis://" + redis.Addr(), "RATE_LIMIT_MAX": "3"}
	db := mongotest.Open(t)
	a := apptest.StartWith(t, db, env)
	b := apptest.StartWith(t, db, env)

	for i, srv := range []*apptest.Server{a, b, a} {
		if got := srv.Do(t, http.MethodGet, "/api/v1/courses/published", nil, "").StatusCode; got != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i+1, got)
		}
	}
	resp := b.Do(t, http.MethodGet, "/api/v1/courses/published", nil, "")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th request across instances: status %d, want 429", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if len(redis.Keys()) == 0 {
		t.Error("no counters in Redis")
	}
}
