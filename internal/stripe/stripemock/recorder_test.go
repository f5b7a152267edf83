package stripemock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

// call sends a form to the recorder and decodes the JSON answer.
func call(t *testing.T, method, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer sk_test_x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

func TestRecorder(t *testing.T) {
	// A stand-in for stripe-mock: the same session every time, 404 under /missing.
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/missing") {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error"}}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"cs_test","status":"open"}`)
	}))
	t.Cleanup(target.Close)
	rec := stripemock.NewRecorder(t, target.URL)

	status, obj := call(t, http.MethodPost, rec.URL+"/v1/checkout/sessions", url.Values{"mode": {"payment"}})
	if status != http.StatusOK || obj["status"] != "open" {
		t.Fatalf("plain answer: %d %v", status, obj)
	}
	rec.SetRewrite(func(req *http.Request, obj map[string]any) {
		if req.Method == http.MethodGet {
			obj["status"] = "complete"
		}
	})
	if status, obj = call(t, http.MethodGet, rec.URL+"/v1/checkout/sessions/cs_test", nil); status != http.StatusOK || obj["status"] != "complete" {
		t.Fatalf("rewritten answer: %d %v", status, obj)
	}
	if status, obj = call(t, http.MethodGet, rec.URL+"/missing", nil); status != http.StatusNotFound || obj["error"] == nil {
		t.Fatalf("error answer: %d %v, want it untouched", status, obj)
	}
	rec.SetRewrite(nil)
	if _, obj = call(t, http.MethodGet, rec.URL+"/v1/checkout/sessions/cs_test", nil); obj["status"] != "open" {
		t.Fatalf("answer after SetRewrite(nil): %v", obj)
	}

	all := rec.Requests()
	if len(all) != 4 {
		t.Fatalf("%d exchanges, want 4: %+v", len(all), all)
	}
	first := all[0]
	if first.Method != http.MethodPost || first.Path != "/v1/checkout/sessions" || first.Form.Get("mode") != "payment" ||
		first.Header.Get("Authorization") != "Bearer sk_test_x" || first.Status != http.StatusOK || first.Response["id"] != "cs_test" {
		t.Errorf("first exchange = %+v", first)
	}
	if all[1].Response["status"] != "complete" || all[2].Status != http.StatusNotFound {
		t.Errorf("recorded answers: %v (want the rewritten one), %d", all[1].Response, all[2].Status)
	}
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/v1/checkout/sessions", 1},
		{http.MethodGet, "/v1/checkout/sessions", 0},
		{http.MethodGet, "/v1/checkout/sessions/", 2},
		{http.MethodGet, "", 3},
		{http.MethodDelete, "", 0},
	} {
		if got := len(rec.Find(tt.method, tt.path)); got != tt.want {
			t.Errorf("Find(%s, %q) = %d exchanges, want %d", tt.method, tt.path, got, tt.want)
		}
	}
}
