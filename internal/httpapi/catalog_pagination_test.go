package httpapi_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
)

var linkPart = regexp.MustCompile(`<([^>]*)>; rel="([a-z]+)"`)

// pageLinksOf parses a response's Link header into rel → target.
func pageLinksOf(t *testing.T, header string) map[string]*url.URL {
	t.Helper()
	out := map[string]*url.URL{}
	for _, m := range linkPart.FindAllStringSubmatch(header, -1) {
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatalf("Link target %q: %v", m[1], err)
		}
		out[m[2]] = u
	}
	return out
}

// TestListsSendLinkHeaders walks a three-page list by its Link header and
// checks every list endpoint sends one next to its pagination object.
func TestListsSendLinkHeaders(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	for range 5 {
		s.publishedCourse(t, inst.Token, map[string]string{"category": "Paged"})
	}

	seen := map[string]bool{}
	next := "/api/v1/courses/search?category=Paged&limit=2"
	for page := 1; next != ""; page++ {
		if page > 3 {
			t.Fatal("more than three pages of five courses by two")
		}
		resp := s.Do(t, http.MethodGet, next, nil, "")
		data := wantOK(t, resp, http.StatusOK, "")["data"].(map[string]any)
		for _, id := range idsOf(objects(t, data, "courses")) {
			seen[id] = true
		}
		p := data["pagination"].(map[string]any)
		if p["page"] != float64(page) || p["pages"] != float64(3) || p["total"] != float64(5) {
			t.Errorf("page %d: pagination %v", page, p)
		}
		links := pageLinksOf(t, resp.Header.Get("Link"))
		for rel, want := range map[string]string{"first": "1", "last": "3"} {
			if links[rel] == nil || links[rel].Query().Get("page") != want || links[rel].Query().Get("category") != "Paged" {
				t.Errorf("page %d: rel=%s is %v, want page %s with the filters", page, rel, links[rel], want)
			}
		}
		if _, ok := links["prev"]; ok != (page > 1) {
			t.Errorf("page %d: prev present = %v", page, ok)
		} else if ok && links["prev"].Query().Get("page") != strconv.Itoa(page-1) {
			t.Errorf("page %d: prev = %v", page, links["prev"])
		}
		next = ""
		if u := links["next"]; u != nil {
			if u.Query().Get("limit") != "2" || u.Query().Get("page") != strconv.Itoa(page+1) {
				t.Errorf("page %d: next = %v", page, u)
			}
			next = u.String()
		}
	}
	if len(seen) != 5 {
		t.Errorf("following next saw %d courses, want 5", len(seen))
	}

	for _, path := range []string{"/api/v1/courses/published?limit=2", "/api/v1/courses/instructor?limit=2&page=2"} {
		resp := s.Do(t, http.MethodGet, path, nil, inst.Token)
		wantOK(t, resp, http.StatusOK, "")
		links := pageLinksOf(t, resp.Header.Get("Link"))
		if links["first"] == nil || links["last"] == nil || links["next"] == nil {
			t.Errorf("%s: Link %q, want first, last and next", path, resp.Header.Get("Link"))
		}
	}
}
