package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
)

// dbCommands is the number of database commands /metrics has counted for
// requests of a route ("GET /api/v1/user/profile"), all commands summed.
func dbCommands(t *testing.T, s *apptest.Server, route string) int {
	t.Helper()
	return routeMetric(t, s, "lms_db_commands_total", route)
}

// routeMetric sums a counter of /metrics over the series of one route.
func routeMetric(t *testing.T, s *apptest.Server, metric, route string) int {
	t.Helper()
	resp := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, `route="`+route+`"`) {
			continue
		}
		n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		total += int(n)
	}
	return total
}

// TestRoundTripBudgets counts the database commands of the hot routes on
// the wire (the driver's command monitor, exposed as lms_db_commands_total)
// and fails when a route needs more than its budget. It is a count, not a
// time.
func TestRoundTripBudgets(t *testing.T) {
	// As `lms serve` opens its embedded database: the only writer of it.
	opts := mongotest.Options(t)
	opts.SoleWriter = true
	srv := apptest.StartWith(t, mongotest.OpenWith(t, opts), map[string]string{"CATALOG_CACHE_TTL": "5s"})
	s := &catalogServer{Server: srv, dataDir: srv.App.Config.DataDir}
	inst := s.signUp(t, "instructor")
	student := s.signUp(t, "student")
	c := s.publishedCourse(t, inst.Token, map[string]string{"price": "0"})
	id := c["_id"].(string)
	lecture := s.addLecture(t, inst.Token, id, "Two", 2, false, 5)["_id"].(string)
	if resp := s.Do(t, http.MethodPost, "/api/v1/payments/create-checkout-session", map[string]string{"courseId": id}, student.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("free enrolment: %d %s", resp.StatusCode, resp.Body)
	}
	signIn := map[string]string{"email": "budget@catalog.test", "password": "correct horse battery"}
	if resp := s.Do(t, http.MethodPost, "/api/v1/user/signup", map[string]string{"name": "Budget", "email": signIn["email"], "password": signIn["password"]}, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("sign up: %d %s", resp.StatusCode, resp.Body)
	}
	steps := []struct {
		name, method, path, route string
		body                      any
		token                     string
		budget                    int
		unkeyed                   int // of them, filtered by more than an exact _id
	}{
		{"profile", http.MethodGet, "/api/v1/user/profile", "GET /api/v1/user/profile", nil, student.Token, 2, 0},
		{"first progress PATCH", http.MethodPatch, "/api/v1/progress/" + id + "/lectures/" + lecture, "PATCH /api/v1/progress/{courseId}/lectures/{lectureId}", map[string]bool{"isCompleted": true}, student.Token, 4, 0},
		{"progress PATCH", http.MethodPatch, "/api/v1/progress/" + id + "/lectures/" + lecture, "PATCH /api/v1/progress/{courseId}/lectures/{lectureId}", map[string]bool{"isCompleted": true}, student.Token, 3, 0},
		// The session's account read answers the entitlement; no course is
		// read: the lecture (its course and duration), then the record's
		// read and its one write (TestProgressPositionReadsNoCourse: the
		// same without the catalog cache).
		{"position PUT", http.MethodPut, "/api/v1/progress/" + id + "/lectures/" + lecture + "/position", "PUT /api/v1/progress/{courseId}/lectures/{lectureId}/position", map[string]float64{"seconds": 3}, student.Token, 4, 0},
		{"courses in progress", http.MethodGet, "/api/v1/progress", "GET /api/v1/progress", nil, student.Token, 4, 1},
		{"progress GET", http.MethodGet, "/api/v1/progress/" + id, "GET /api/v1/progress/{courseId}", nil, student.Token, 3, 0},
		{"course page", http.MethodGet, "/api/v1/courses/" + id, "GET /api/v1/courses/{courseId}", nil, "", 3, 0},
		{"published page", http.MethodGet, "/api/v1/courses/published", "GET /api/v1/courses/published", nil, "", 3, 1},
		{"published page, cached", http.MethodGet, "/api/v1/courses/published", "GET /api/v1/courses/published", nil, "", 0, 0},
		{"sign-in", http.MethodPost, "/api/v1/user/signin", "POST /api/v1/user/signin", signIn, "", 2, 0},
	}
	for _, st := range steps {
		before := dbCommands(t, s.Server, st.route)
		beforeUnkeyed := routeMetric(t, s.Server, "lms_db_unkeyed_commands_total", st.route)
		resp := s.Do(t, st.method, st.path, st.body, st.token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", st.name, resp.StatusCode, resp.Body)
		}
		n := dbCommands(t, s.Server, st.route) - before
		if n > st.budget || n == 0 && st.budget > 0 {
			t.Errorf("%s: %d database commands, budget %d", st.name, n, st.budget)
		}
		// Unkeyed commands decode whole collections on the embedded
		// database: the hot routes keep to exact _id lookups.
		unkeyed := routeMetric(t, s.Server, "lms_db_unkeyed_commands_total", st.route) - beforeUnkeyed
		if unkeyed != st.unkeyed {
			t.Errorf("%s: %d unkeyed database commands, want %d", st.name, unkeyed, st.unkeyed)
		}
		t.Logf("%s: %d database commands (budget %d), %d unkeyed", st.name, n, st.budget, unkeyed)
	}
}

// A profile reads its enrolled courses by _id, one each, even when none is
// in the course cache (here: no cache): a $in would read every course on
// the embedded database.
func TestProfileReadsEnrolledCoursesByID(t *testing.T) {
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	student := s.signUp(t, "student")
	titles := map[string]string{}
	for i := range 3 {
		c := s.publishedCourse(t, inst.Token, map[string]string{"price": "0", "title": fmt.Sprintf("Enrolled %d", i)})
		titles[c["_id"].(string)] = c["title"].(string)
		if resp := s.Do(t, http.MethodPost, "/api/v1/payments/create-checkout-session", map[string]string{"courseId": c["_id"].(string)}, student.Token); resp.StatusCode != http.StatusOK {
			t.Fatalf("free enrolment: %d %s", resp.StatusCode, resp.Body)
		}
	}
	const route = "GET /api/v1/user/profile"
	before, beforeUnkeyed := dbCommands(t, s.Server, route), routeMetric(t, s.Server, "lms_db_unkeyed_commands_total", route)
	resp := s.Do(t, http.MethodGet, "/api/v1/user/profile", nil, student.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("profile: %d %s", resp.StatusCode, resp.Body)
	}
	enrolled, _ := resp.JSON(t)["data"].(map[string]any)["enrolledCourses"].([]any)
	if len(enrolled) != len(titles) {
		t.Fatalf("%d enrolled courses, want %d: %s", len(enrolled), len(titles), resp.Body)
	}
	for _, e := range enrolled {
		c, _ := e.(map[string]any)["course"].(map[string]any)
		if id, _ := c["_id"].(string); titles[id] != c["title"] {
			t.Errorf("course %s: title %v, want %q", id, c["title"], titles[id])
		}
	}
	if n := dbCommands(t, s.Server, route) - before; n != 1+len(titles) {
		t.Errorf("%d database commands, want %d (the session's user, then each course)", n, 1+len(titles))
	}
	if n := routeMetric(t, s.Server, "lms_db_unkeyed_commands_total", route) - beforeUnkeyed; n != 0 {
		t.Errorf("%d unkeyed database commands, want 0", n)
	}
}

// Anonymous catalog reads come from a short shared cache with a strong
// ETag (304 on If-None-Match) and a public Cache-Control; this instance's
// catalog writes empty it at once. A request with a session cookie is
// never answered from it.
func TestPublicCatalogCache(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst := s.signUp(t, "instructor")
	id := s.publishedCourse(t, inst.Token, nil)["_id"].(string)
	path := catalogCourses + "/" + id

	first := s.Do(t, http.MethodGet, path, nil, "")
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || etag == "" || first.Header.Get("Cache-Control") != "public, max-age=5" {
		t.Fatalf("anonymous course page: %d, ETag %q, Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	again := s.NewRequest(t, http.MethodGet, path, nil).WithHeader("If-None-Match", etag).Send(t)
	if again.StatusCode != http.StatusNotModified || len(again.Body) != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and no body", again.StatusCode, len(again.Body))
	}

	// A write that skips the service (as another instance's would) shows
	// to anonymous readers only after the TTL.
	title := "Renamed behind the cache"
	if _, _, err := mongodb.NewCourseRepo(s.App.DB).Update(t.Context(), id, course.Changes{Title: &title}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if resp := s.Do(t, http.MethodGet, path, nil, inst.Token); resp.Header.Get("ETag") != "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("with a session: ETag %q, Cache-Control %q", resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
	}
	if got := s.getCourse(t, "", id)["title"]; got == title {
		t.Errorf("anonymous: title %v within the TTL, want the cached one", got)
	}

	// This instance's own write empties the cache at once.
	resp := s.Do(t, http.MethodPatch, path, map[string]string{"subtitle": "New subtitle"}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Course updated successfully")
	after := s.Do(t, http.MethodGet, path, nil, "")
	c := apptest.Object(t, after.JSON(t), "data")
	if c["subtitle"] != "New subtitle" || c["title"] != title || after.Header.Get("ETag") == etag {
		t.Errorf("after a write: %v / %v, ETag %q (was %q)", c["title"], c["subtitle"], after.Header.Get("ETag"), etag)
	}
}

// The public cache fills itself with data as of now (course.Fresh): an
// answer it keeps is never older than its own TTL, even when the course
// cache and the catalog snapshot behind it still hold data from before
// another instance's write.
func TestPublicCacheFillsFromCurrentData(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst := s.signUp(t, "instructor")
	id := s.publishedCourse(t, inst.Token, nil)["_id"].(string)
	listed := func(token string) string {
		t.Helper()
		resp := s.Do(t, http.MethodGet, "/api/v1/courses/published", nil, token)
		courses := objects(t, apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data"), "courses")
		if len(courses) != 1 {
			t.Fatalf("published: %d courses", len(courses))
		}
		return courses[0]["title"].(string)
	}
	listed(inst.Token)             // the snapshot, not the public cache (a session)
	s.getCourse(t, inst.Token, id) // the course cache, likewise

	title := "Renamed by another instance"
	if _, _, err := mongodb.NewCourseRepo(s.App.DB).Update(t.Context(), id, course.Changes{Title: &title}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := listed(inst.Token); got == title {
		t.Errorf("with a session, within the TTL: %q, want the snapshot's title", got)
	}
	if got := listed(""); got != title {
		t.Errorf("anonymous, first answer of the public cache: %q, want %q", got, title)
	}
	if got := s.getCourse(t, "", id)["title"]; got != title {
		t.Errorf("anonymous course page, first answer of the public cache: %v, want %q", got, title)
	}
}

// A purchase is priced on the course as it is: a price change made on
// another instance shows in the quote at once, even while the course cache
// still holds the course (it does for pages until the TTL).
func TestQuoteUsesTheCurrentPrice(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst := s.signUp(t, "instructor")
	student := s.signUp(t, "student")
	id := s.publishedCourse(t, inst.Token, map[string]string{"price": "20"})["_id"].(string)
	quote := func() any {
		t.Helper()
		resp := s.Do(t, http.MethodPost, "/api/v1/payments/quote", map[string]string{"courseId": id}, student.Token)
		return apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data")["totalCents"]
	}
	if got := quote(); got != float64(2000) {
		t.Fatalf("quote: %v cents, want 2000", got)
	}
	s.getCourse(t, student.Token, id) // the course cache holds it
	price := 30.0
	if _, _, err := mongodb.NewCourseRepo(s.App.DB).Update(t.Context(), id, course.Changes{Price: &price}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := s.getCourse(t, student.Token, id)["price"]; got != float64(20) {
		t.Errorf("course page within the TTL: price %v, want the cached 20", got)
	}
	if got := quote(); got != float64(3000) {
		t.Errorf("quote after another instance's price change: %v cents, want 3000", got)
	}
}

// Anonymous readers that miss the cache together wait for one answer
// instead of all going to the database (the load test saw every reader miss
// at once when an entry expired under load).
func TestPublicCacheOneFillForConcurrentMisses(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst := s.signUp(t, "instructor")
	s.publishedCourse(t, inst.Token, nil)
	const route = "GET /api/v1/courses/published"
	before := dbCommands(t, s.Server, route)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if resp := s.Do(t, http.MethodGet, "/api/v1/courses/published?limit=5", nil, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("published: %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	// One answer costs 3 commands: the catalog snapshot's load (the
	// catalog's revision, the published courses, their instructor).
	if n := dbCommands(t, s.Server, route) - before; n != 3 {
		t.Errorf("20 concurrent anonymous reads of one page ran %d database commands, want 3 (one answer)", n)
	}
}
