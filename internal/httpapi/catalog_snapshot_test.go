package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// With a session, the published page and search skip the public cache but
// are answered from the catalog's snapshot of the published courses: the
// only database command is the session's account read. This instance's
// writes show at once.
func TestPublishedAndSearchWithASessionFromTheSnapshot(t *testing.T) {
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	first, second := s.signUp(t, "instructor"), s.signUp(t, "instructor")
	student := s.signUp(t, "student")
	older := s.publishedCourse(t, first.Token, map[string]string{"title": "Watercolor basics"})["_id"].(string)
	newer := s.publishedCourse(t, second.Token, map[string]string{"title": "Oil painting"})["_id"].(string)

	list := func(path, token string) (ids []string, commands int) {
		t.Helper()
		route := "GET /api/v1/courses/search"
		if path == "/published" {
			route = "GET /api/v1/courses/published"
		}
		before := dbCommands(t, s.Server, route)
		resp := s.Do(t, http.MethodGet, catalogCourses+path, nil, token)
		courses := objects(t, apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data"), "courses")
		return idsOf(courses), dbCommands(t, s.Server, route) - before
	}

	// The first read loads the snapshot: the published courses and their
	// instructors.
	if ids, n := list("/published", ""); !slices.Equal(ids, []string{newer, older}) || n == 0 {
		t.Fatalf("anonymous published page: %v with %d commands", ids, n)
	}
	if ids, n := list("/published", student.Token); !slices.Equal(ids, []string{newer, older}) || n != 1 {
		t.Errorf("published page with a session: %v with %d database commands, want 1 (the session's account)", ids, n)
	}
	if ids, n := list("/search?query=WATERCOLOR", student.Token); !slices.Equal(ids, []string{older}) || n != 1 {
		t.Errorf("search with a session: %v with %d database commands, want 1 (the session's account)", ids, n)
	}

	resp := s.Do(t, http.MethodPatch, catalogCourses+"/"+newer, map[string]string{"title": "Watercolor landscapes"}, second.Token)
	wantOK(t, resp, http.StatusOK, "Course updated successfully")
	if ids, _ := list("/search?query=watercolor&sortBy=title", student.Token); !slices.Equal(ids, []string{older, newer}) {
		t.Errorf("search after a rename: %v, want both by title (basics, landscapes)", ids)
	}
}
