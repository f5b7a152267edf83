package stripemock_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

func get(base string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/v1/checkout/sessions/cs_test_1", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestStartKillsOnCleanup(t *testing.T) {
	var base string
	t.Run("running", func(t *testing.T) {
		base = stripemock.Start(t)
		if !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Errorf("base URL %q is not on loopback", base)
		}
		if code, err := get(base); err != nil || code != http.StatusOK {
			t.Fatalf("GET: %d, %v", code, err)
		}
	})
	if _, err := get(base); err == nil {
		t.Error("stripe-mock still answers after its test's cleanup")
	}
}

func TestShared(t *testing.T) {
	a := stripemock.Shared(t)
	if b := stripemock.Shared(t); b != a {
		t.Errorf("second Shared: %q, want %q", b, a)
	}
	if code, err := get(a); err != nil || code != http.StatusOK {
		t.Fatalf("GET: %d, %v", code, err)
	}
	stripemock.StopShared()
	stripemock.StopShared() // a no-op
	if _, err := get(a); err == nil {
		t.Error("shared stripe-mock still answers after StopShared")
	}
	c := stripemock.Shared(t)
	t.Cleanup(stripemock.StopShared)
	if code, err := get(c); err != nil || code != http.StatusOK {
		t.Fatalf("GET after restart: %d, %v", code, err)
	}
}
