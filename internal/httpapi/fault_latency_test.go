package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// dbLatency is the delay the proxy adds to every database round trip.
const dbLatency = 1500 * time.Millisecond

// requestDeadline is the test server's REQUEST_TIMEOUT: a request needing
// two round trips cannot make it.
const requestDeadline = 2 * time.Second

// A slow database (1.5 s per round trip): requests end by their deadline
// with 503 "Service temporarily unavailable" instead of hanging or
// answering 500, health answers within its bound, and nothing is left
// half-written: no temp files, no course without its thumbnail, no stored
// image that nothing refers to.
func TestFaultDatabaseLatency(t *testing.T) {
	t.Parallel()
	direct := mongotest.Options(t)
	opts, proxy := throughProxy(t, direct)
	s := &catalogServer{Server: apptest.StartWith(t, mongotest.OpenWith(t, opts), map[string]string{"REQUEST_TIMEOUT": requestDeadline.String()})}
	s.dataDir = s.App.Config.DataDir
	s.Mongo = mongotest.Connect(t, direct)

	inst := s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)
	// An enrolment makes the profile two round trips (the session's user,
	// then the enrolled courses' summaries): alone it would be one, which
	// fits in the deadline.
	s.Enrol(t, inst.ID, courseID)

	proxy.SetLatency(dbLatency)
	type call struct {
		name   string
		upload bool // its deadline starts again once the body is in
		send   func() *apptest.Response
	}
	calls := []call{
		{"profile", false, func() *apptest.Response { return s.Do(t, http.MethodGet, "/api/v1/user/profile", nil, inst.Token) }},
		{"published", false, func() *apptest.Response { return s.Do(t, http.MethodGet, catalogCourses+"/published", nil, "") }},
		{"course page", false, func() *apptest.Response { return s.Do(t, http.MethodGet, catalogCourses+"/"+courseID, nil, inst.Token) }},
		{"rename", false, func() *apptest.Response {
			return s.Do(t, http.MethodPatch, "/api/v1/user/profile", map[string]string{"name": "Renamed Slowly"}, inst.Token)
		}},
		{"edit course", false, func() *apptest.Response {
			return s.Do(t, http.MethodPatch, catalogCourses+"/"+courseID, map[string]string{"title": "Edited Slowly"}, inst.Token)
		}},
		{"create course", true, func() *apptest.Response {
			return s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(nil), catalogThumb(t))
		}},
	}
	var wg sync.WaitGroup
	resps := make([]*apptest.Response, len(calls))
	took := make([]time.Duration, len(calls))
	for i, c := range calls {
		wg.Go(func() {
			start := time.Now()
			resps[i] = c.send()
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i, c := range calls {
		t.Logf("%s: %d after %v", c.name, resps[i].StatusCode, took[i].Round(time.Millisecond))
		apptest.WantError(t, resps[i], http.StatusServiceUnavailable, "Service temporarily unavailable")
		bound := requestDeadline + time.Second
		if c.upload {
			bound += requestDeadline // the time before its body, then its deadline again
		}
		if took[i] > bound {
			t.Errorf("%s took %v, past its %v deadline", c.name, took[i], requestDeadline)
		}
	}
	start := time.Now()
	status, body := getHealth(t, s.Server) // bounded by the documented 3 s
	t.Logf("health with a slow database: %d after %v", status, time.Since(start).Round(time.Millisecond))
	// The burst left timed-out operations on the connection: the ping waits
	// for their answers (or a new connection's handshake) and its own, two
	// round trips at least, past its 2 s bound.
	if status != http.StatusServiceUnavailable {
		t.Errorf("health with a slow database: %d, want 503", status)
	}
	wantHealthShape(t, body, false)

	// Let every delayed answer arrive, then look at what was written.
	proxy.SetLatency(0)
	time.Sleep(2 * dbLatency)
	s.wantNothingHalfWritten(t)
	if status, body := getHealth(t, s.Server); status != http.StatusOK {
		t.Errorf("health with the latency gone: %d %v", status, body)
	}
}

// wantNothingHalfWritten asserts that no upload temp file is left, that
// every course's thumbnail is stored, and that every stored image belongs
// to a course or a user.
func (s *catalogServer) wantNothingHalfWritten(t *testing.T) {
	t.Helper()
	stored := map[string]bool{}
	for _, f := range s.mediaFiles(t) {
		if strings.HasPrefix(f, "tmp/") {
			t.Errorf("temp file left: %s", f)
			continue
		}
		stored[strings.TrimPrefix(f, "media/")] = true
	}
	referenced := map[string]bool{}
	for _, coll := range []string{"courses", "users"} {
		field := map[string]string{"courses": "thumbnail", "users": "avatar"}[coll]
		cur, err := s.Mongo.Collection(coll).Find(context.Background(), bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []bson.M
		if err := cur.All(context.Background(), &docs); err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			key, _ := d[field].(string)
			if key == "" {
				continue
			}
			referenced[key] = true
			if !stored[key] {
				t.Errorf("%s %v refers to %s %q, which is not stored", coll, d["_id"], field, key)
			}
		}
	}
	for key := range stored {
		if !referenced[key] && strings.HasPrefix(key, "images/") {
			t.Errorf("stored image %s belongs to nothing", key)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "tmp")); err != nil {
		t.Errorf("DATA_DIR/tmp: %v", err)
	}
}

// A database that is gone answers 503 "Service temporarily unavailable",
// not 500, well before the request's deadline: the driver's server
// selection gives up first.
func TestFaultDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	opts, proxy := proxiedOptions(t)
	s := &catalogServer{Server: apptest.StartWith(t, mongotest.OpenWith(t, opts), nil)}
	inst := s.signUp(t, "instructor")

	proxy.Cut()
	for _, path := range []string{"/api/v1/user/profile", catalogCourses + "/published"} {
		start := time.Now()
		resp := s.Do(t, http.MethodGet, path, nil, inst.Token)
		apptest.WantError(t, resp, http.StatusServiceUnavailable, "Service temporarily unavailable")
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("GET %s took %v", path, took)
		}
	}
	if !strings.Contains(s.Logs(), `"status":503`) {
		t.Error("the 503 is not logged with its cause")
	}
}
