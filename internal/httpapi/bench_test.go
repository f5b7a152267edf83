package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
)

// benchCatalog is a catalog of n published courses by one instructor, each
// with one lecture.
func benchCatalog(b *testing.B, n int, env ...map[string]string) (*catalogServer, catalogUser, []string) {
	b.Helper()
	var overrides map[string]string
	if len(env) > 0 {
		overrides = env[0]
	}
	s := catalogStart(b, overrides)
	inst := s.signUp(b, "instructor")
	ids := make([]string, n)
	for i := range ids {
		c := s.publishedCourse(b, inst.Token, map[string]string{"title": fmt.Sprintf("Go course %d", i)})
		ids[i] = c["_id"].(string)
	}
	return s, inst, ids
}

// benchGet requests path until b.N is reached and fails on any non-200.
func benchGet(b *testing.B, s *catalogServer, path, token string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if resp := s.Do(b, http.MethodGet, path, nil, token); resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Body)
		}
	}
}

// BenchmarkSearch measures a case-insensitive substring search returning a
// page of 10 course cards with their instructors (one batch query).
func BenchmarkSearch(b *testing.B) {
	s, _, _ := benchCatalog(b, 30)
	benchGet(b, s, "/api/v1/courses/search?query=go+course&sortBy=price-asc&limit=10", "")
}

// BenchmarkPublished measures the first page of the published catalog.
func BenchmarkPublished(b *testing.B) {
	s, _, _ := benchCatalog(b, 30)
	benchGet(b, s, "/api/v1/courses/published", "")
}

// BenchmarkPublishedCached measures the same page for anonymous readers
// with the public cache on (CATALOG_CACHE_TTL), as production runs it.
func BenchmarkPublishedCached(b *testing.B) {
	s, _, _ := benchCatalog(b, 30, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	benchGet(b, s, "/api/v1/courses/published", "")
}

// BenchmarkCourseDetail measures a course page for its owner: the course,
// its instructor and lectures with freshly signed video URLs.
func BenchmarkCourseDetail(b *testing.B) {
	s, inst, ids := benchCatalog(b, 1)
	for i := range 9 {
		s.addLecture(b, inst.Token, ids[0], fmt.Sprintf("Lecture %d", i+2), i+2, false, 60)
	}
	benchGet(b, s, "/api/v1/courses/"+ids[0], inst.Token)
}

// BenchmarkProfile measures an authenticated read: session check (one
// indexed read) plus the profile.
func BenchmarkProfile(b *testing.B) {
	s := catalogStart(b, nil)
	u := s.signUp(b, "student")
	benchGet(b, s, "/api/v1/user/profile", u.Token)
}

// BenchmarkHealth measures the health check (a database ping).
func BenchmarkHealth(b *testing.B) {
	s := catalogStart(b, nil)
	benchGet(b, s, "/api/v1/healthcheck", "")
}
