package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/stripe/stripemock"
	"github.com/lms-backend/lms/internal/user"
)

// reconcileEnv is the environment of a command run on the embedded database
// in dir with Stripe at apiBase ("" for no Stripe settings).
func reconcileEnv(dir, apiBase string) func(string) string {
	env := map[string]string{
		"APP_ENV":     "test",
		"DATA_DIR":    dir,
		"SECRET_KEY":  "test-secret-key-0123456789abcdef0123456789",
		"BCRYPT_COST": "4",
		"LOG_LEVEL":   "warn",
	}
	if apiBase != "" {
		env["STRIPE_SECRET_KEY"] = "sk_test_51ReconcileCommandKey"
		env["STRIPE_WEBHOOK_SECRET"] = "whsec_reconcile"
		env["STRIPE_API_BASE"] = apiBase
	}
	return func(k string) string { return env[k] }
}

// paidStripe is stripe-mock behind a proxy that reports every checkout
// session as complete and paid with amount cents.
func paidStripe(t *testing.T, cents int64) string {
	t.Helper()
	u, err := url.Parse(stripemock.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method != http.MethodGet || !strings.HasPrefix(resp.Request.URL.Path, "/v1/checkout/sessions/") || resp.StatusCode != http.StatusOK {
			return nil
		}
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return err
		}
		m["status"], m["payment_status"], m["amount_total"], m["currency"] = "complete", "paid", cents, "usd"
		body, _ := json.Marshal(m)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL
}

// withApp opens the service on the embedded database in dir, runs f and
// closes it again, as a second process would.
func withApp(t *testing.T, dir, apiBase string, f func(a *app.App)) {
	t.Helper()
	a, closeDB, err := open(context.Background(), reconcileEnv(dir, apiBase), io.Discard)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer closeDB()
	if err := a.DB.Migrate(context.Background()); err != nil {
		t.Fatalf("indexes: %v", err)
	}
	f(a)
}

func runReconcile(t *testing.T, dir, apiBase string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"reconcile"}, args...), reconcileEnv(dir, apiBase), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestReconcileCommand(t *testing.T) {
	dir := t.TempDir()
	stripeURL := paidStripe(t, 1999)
	ctx := context.Background()

	// A student opens a checkout and the webhook never arrives.
	var studentID, courseID string
	withApp(t, dir, stripeURL, func(a *app.App) {
		teacher, err := a.Users.SignUp(ctx, user.SignUpInput{Name: "Teacher", Email: "t@example.com", Password: "teacher password", Role: "instructor"})
		if err != nil {
			t.Fatal(err)
		}
		student, err := a.Users.SignUp(ctx, user.SignUpInput{Name: "Student", Email: "s@example.com", Password: "student password"})
		if err != nil {
			t.Fatal(err)
		}
		studentID = student.User.ID
		repo := mongodb.NewCourseRepo(a.DB)
		now := time.Now().UTC().Truncate(time.Millisecond)
		c := &course.Course{Title: "Go", Category: "Programming", Level: course.LevelBeginner, Price: 19.99,
			Thumbnail: "images/0123456789abcdef0123456789abcdef.png", InstructorID: teacher.User.ID, LectureIDs: []string{},
			CreatedAt: now, UpdatedAt: now}
		if err := repo.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		lecture := &course.Lecture{CourseID: c.ID, Title: "One", Video: "videos/0123456789abcdef0123456789abcdef.mp4", Order: 1, CreatedAt: now, UpdatedAt: now}
		if err := repo.AddLecture(ctx, lecture); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.RefreshTotals(ctx, c.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.SetPublished(ctx, c.ID, true, now); err != nil {
			t.Fatal(err)
		}
		courseID = c.ID
		res, err := a.Payments.Checkout(ctx, auth.Identity{UserID: studentID, Role: auth.RoleStudent}, courseID, "")
		if err != nil || res.Session == nil {
			t.Fatalf("checkout: %+v, %v", res, err)
		}
	})

	// Not an hour old yet: left alone.
	code, out, errOut := runReconcile(t, dir, stripeURL)
	if code != 0 || out != "checked 0 pending purchases: 0 completed, 0 expired, 0 still open, 0 flagged, 0 abandoned, 0 errors\n" {
		t.Fatalf("first run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	time.Sleep(10 * time.Millisecond)
	code, out, errOut = runReconcile(t, dir, stripeURL, "--older-than", "1ms")
	if code != 0 || !strings.HasPrefix(out, "checked 1 pending purchases: 1 completed,") {
		t.Fatalf("second run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	withApp(t, dir, stripeURL, func(a *app.App) {
		if ok, err := mongodb.NewEnrolmentRepo(a.DB).IsEnrolled(ctx, studentID, courseID); err != nil || !ok {
			t.Errorf("enrolled after reconcile: %v, %v", ok, err)
		}
	})
	// Safe to repeat.
	code, out, _ = runReconcile(t, dir, stripeURL, "--older-than", "1ms")
	if code != 0 || !strings.HasPrefix(out, "checked 0 pending purchases") {
		t.Errorf("third run: exit %d, stdout %q", code, out)
	}
}

func TestReconcileCommandErrors(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runReconcile(t, dir, ""); code != 1 || !strings.Contains(errOut, "payments are not configured") {
		t.Errorf("without Stripe: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"--older-than", "-1h"}, {"--older-than", "soon"}, {"extra"}} {
		if code, _, _ := runReconcile(t, dir, "http://127.0.0.1:1", args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}
