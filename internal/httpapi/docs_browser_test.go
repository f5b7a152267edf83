package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// chromiumPath finds a headless-capable Chromium. Without one the browser
// test is skipped, except in CI (CI set), where .ci/run installs it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed, and CI must run the browser test: apt-get install -y chromium (.ci/run does)")
	}
	t.Skip("SKIP: Chromium is not installed (apt-get install -y chromium); the reference-page browser test runs in CI")
	return ""
}

// TestDocsPageInBrowser opens /api/docs in headless Chromium, offline apart
// from this server, finds every operation of the document listed, and runs
// one "Try it out" call that needs the session cookie.
func TestDocsPageInBrowser(t *testing.T) {
	t.Parallel()
	exe := chromiumPath(t)
	s := catalogStart(t, nil)
	u := s.signUp(t, "student")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		// Offline: any request that is not to this server fails.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	var mu sync.Mutex
	var foreign []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && !strings.HasPrefix(e.Request.URL, s.URL) &&
			!strings.HasPrefix(e.Request.URL, "data:") {
			mu.Lock()
			foreign = append(foreign, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("chromium: %v", err)
	}

	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "token", Value: u.Token, URL: s.URL + "/"}); err != nil {
		t.Fatalf("set the session cookie: %v", err)
	}
	const op = `#operations-User-getProfile`
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/api/docs"), chromedp.WaitVisible(chromedp.CSS(op))); err != nil {
		t.Fatalf("open /api/docs: %v", err)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[id^="operations-"]')).map(e => e.id)`))
	if err != nil {
		t.Fatalf("list operations: %v", err)
	}
	for _, id := range documentedOperationIDs(t) {
		if !slices.ContainsFunc(ids, func(got string) bool { return strings.HasSuffix(got, "-"+id) }) {
			t.Errorf("operation %s is not listed on /api/docs", id)
		}
	}

	// One "Try it out": the profile needs the session cookie.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(op+` .opblock-summary-control`)),
		chromedp.Click(chromedp.CSS(op+` .try-out__btn`)),
		chromedp.Click(chromedp.CSS(op+` .execute`)),
		chromedp.WaitVisible(chromedp.CSS(op+` .live-responses-table tbody .response-col_status`)),
	); err != nil {
		t.Fatalf("try it out: %v", err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+` .live-responses-table tbody .response-col_status`)))
	if err != nil {
		t.Fatalf("try it out status: %v", err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+` .live-responses-table tbody .response-col_description`)))
	if err != nil {
		t.Fatalf("try it out body: %v", err)
	}
	if !strings.HasPrefix(strings.TrimSpace(status), "200") || !strings.Contains(body, u.ID) {
		t.Errorf("try it out on GET /api/v1/user/profile: status %q, body %q; want 200 with the user %s", status, body, u.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(foreign) > 0 {
		t.Errorf("the page requested other origins: %v", foreign)
	}
}

// documentedOperationIDs returns every operationId of the document.
func documentedOperationIDs(t *testing.T) []string {
	t.Helper()
	ops, err := openapi.Operations()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ops))
	for i, op := range ops {
		if op.ID == "" {
			t.Fatalf("%s %s has no operationId", op.Method, op.Path)
		}
		ids[i] = op.ID
	}
	return ids
}

// TestDocsAssetsServed checks the reference page's files and its CSP over
// plain HTTP (the browser test needs Chromium; this one does not).
func TestDocsAssetsServed(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	for path, ct := range map[string]string{
		"/api/docs":                      "text/html",
		"/api/docs/docs.js":              "text/javascript",
		"/api/docs/swagger-ui-bundle.js": "text/javascript",
		"/api/docs/swagger-ui.css":       "text/css",
		"/api/v1/openapi.json":           "application/json",
	} {
		resp := s.Do(t, http.MethodGet, path, nil, "")
		wantStatus(t, resp, http.StatusOK)
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, ct) {
			t.Errorf("%s: Content-Type %q, want %s", path, got, ct)
		}
		if strings.HasPrefix(path, "/api/docs") {
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "http") {
				t.Errorf("%s: CSP %q, want scripts from this origin only", path, csp)
			}
			etag := resp.Header.Get("ETag")
			again := s.NewRequest(t, http.MethodGet, path, nil).WithHeader("If-None-Match", etag).Send(t)
			wantStatus(t, again, http.StatusNotModified)
		}
	}
	page := s.Do(t, http.MethodGet, "/api/docs", nil, "")
	if strings.Contains(string(page.Body), "<script>") || strings.Contains(string(page.Body), "//") && strings.Contains(string(page.Body), "cdn") {
		t.Errorf("the page has an inline script or a CDN reference:\n%s", page.Body)
	}
	apptest.WantError(t, s.Do(t, http.MethodGet, "/api/docs/nope.js", nil, ""), http.StatusNotFound, "Route not found")

	var doc map[string]any
	if err := json.Unmarshal(s.Do(t, http.MethodGet, "/api/v1/openapi.json", nil, "").Body, &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Errorf("openapi.json: %v, openapi %v", err, doc["openapi"])
	}
}
