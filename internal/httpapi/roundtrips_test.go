package httpapi_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// dbCommands is the number of database commands /metrics has counted for
// requests of a route ("GET /api/v1/user/profile"), all commands summed.
func dbCommands(t *testing.T, s *apptest.Server, route string) int {
	t.Helper()
	resp := s.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(resp.Body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "lms_db_commands_total{") || !strings.Contains(line, `route="`+route+`"`) {
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
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
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
	}{
		{"profile", http.MethodGet, "/api/v1/user/profile", "GET /api/v1/user/profile", nil, student.Token, 2},
		{"first progress PATCH", http.MethodPatch, "/api/v1/progress/" + id + "/lectures/" + lecture, "PATCH /api/v1/progress/{courseId}/lectures/{lectureId}", map[string]bool{"isCompleted": true}, student.Token, 4},
		{"progress PATCH", http.MethodPatch, "/api/v1/progress/" + id + "/lectures/" + lecture, "PATCH /api/v1/progress/{courseId}/lectures/{lectureId}", map[string]bool{"isCompleted": true}, student.Token, 3},
		{"progress GET", http.MethodGet, "/api/v1/progress/" + id, "GET /api/v1/progress/{courseId}", nil, student.Token, 3},
		{"course page", http.MethodGet, "/api/v1/courses/" + id, "GET /api/v1/courses/{courseId}", nil, "", 3},
		{"published page", http.MethodGet, "/api/v1/courses/published", "GET /api/v1/courses/published", nil, "", 3},
		{"sign-in", http.MethodPost, "/api/v1/user/signin", "POST /api/v1/user/signin", signIn, "", 2},
	}
	for _, st := range steps {
		before := dbCommands(t, s.Server, st.route)
		resp := s.Do(t, st.method, st.path, st.body, st.token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", st.name, resp.StatusCode, resp.Body)
		}
		n := dbCommands(t, s.Server, st.route) - before
		if n == 0 || n > st.budget {
			t.Errorf("%s: %d database commands, budget %d", st.name, n, st.budget)
		}
		t.Logf("%s: %d database commands (budget %d)", st.name, n, st.budget)
	}
}
