package httpapi_test

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// catalogListing is a course of the search fixture: its fields and id.
type catalogListing struct {
	title, subtitle, description, category, level string
	price                                         float64
	id                                            string
	created                                       time.Time
}

// catalogSearchFixture is a catalog of published courses (created in this
// order) whose text contains regex metacharacters.
func catalogSearchFixture() []catalogListing {
	return []catalogListing{
		{title: "Go Programming Basics", subtitle: "Learn Go", description: "Goroutines and channels", category: "Programming", level: "beginner", price: 10},
		{title: "Advanced C++ Templates", subtitle: "Generic code", description: "Metaprogramming in depth", category: "Programming", level: "advanced", price: 50},
		{title: "Regex (a+)+$ Pitfalls", subtitle: "Catastrophic backtracking", description: "Why patterns hang", category: "Security", level: "intermediate", price: 30},
		{title: "Literal .* Wildcards", subtitle: "Shell globbing", description: "Star and dot", category: "Text Processing", level: "beginner", price: 0},
		{title: "Cooking for Engineers", subtitle: "go to the KITCHEN", description: "Recipes", category: "Lifestyle", level: "beginner", price: 20},
		{title: "Watercolor", subtitle: "Paint", description: "Brushes, water and paper", category: "Art", level: "advanced", price: 99.99},
		{title: "advanced CSS", subtitle: "Layouts", description: "Grid and flexbox", category: "Web Design", level: "intermediate", price: 45},
	}
}

// search runs a search and returns the ids of the courses and the
// pagination block.
func (s *catalogServer) search(t *testing.T, path string, q url.Values, token string) ([]string, map[string]any) {
	t.Helper()
	resp := s.Do(t, http.MethodGet, path+"?"+q.Encode(), nil, token)
	m := wantOK(t, resp, http.StatusOK, "")
	wantKeys(t, "envelope", m, "success", "data")
	data := apptest.Object(t, m, "data")
	wantKeys(t, "data", data, "courses", "pagination")
	courses := objects(t, data, "courses")
	for _, c := range courses {
		wantKeys(t, "listed course", c, catalogCourseKeys...)
		in := apptest.Object(t, c, "instructor")
		wantKeys(t, "instructor", in, "_id", "name", "avatar", "bio")
	}
	p := apptest.Object(t, data, "pagination")
	wantKeys(t, "pagination", p, "page", "limit", "total", "pages")
	return idsOf(courses), p
}

// catalogIDsOf returns the ids of the fixture courses kept by keep, sorted
// by less.
func catalogIDsOf(all []catalogListing, keep func(c catalogListing) bool, less func(a, b catalogListing) int) []string {
	var sel []catalogListing
	for _, c := range all {
		if keep(c) {
			sel = append(sel, c)
		}
	}
	slices.SortStableFunc(sel, less)
	ids := make([]string, len(sel))
	for i, c := range sel {
		ids[i] = c.id
	}
	return ids
}

// catalogContains is the reference for text filters: case-insensitive
// literal substring.
func catalogContains(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func TestCatalogSearch(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	all := catalogSearchFixture()
	for i := range all {
		c := all[i]
		created := s.publishedCourse(t, inst.Token, map[string]string{
			"title": c.title, "subtitle": c.subtitle, "description": c.description, "category": c.category,
			"level": c.level, "price": strconv.FormatFloat(c.price, 'f', -1, 64),
		})
		all[i].id = created["_id"].(string)
		var err error
		if all[i].created, err = time.Parse(time.RFC3339Nano, created["createdAt"].(string)); err != nil {
			t.Fatal(err)
		}
	}
	// Drafts that match everything are never returned.
	for _, title := range []string{"Go Draft C++ (a+)+$ .*", "advanced draft"} {
		s.createCourse(t, inst.Token, map[string]string{"title": title, "subtitle": "go", "category": "Programming", "level": "beginner", "price": "10"})
	}
	oldest := func(a, b catalogListing) int {
		return cmp.Or(a.created.Compare(b.created), strings.Compare(a.id, b.id))
	}
	newest := func(a, b catalogListing) int { return oldest(b, a) }
	everyCourse := func(catalogListing) bool { return true }

	for _, tc := range []struct {
		name string
		q    url.Values
		keep func(c catalogListing) bool
	}{
		{"query across fields", url.Values{"query": {"GO"}}, func(c catalogListing) bool {
			return catalogContains(c.title, "go") || catalogContains(c.subtitle, "go") || catalogContains(c.description, "go") || catalogContains(c.category, "go")
		}},
		{"query in category", url.Values{"query": {"design"}}, func(c catalogListing) bool { return c.category == "Web Design" }},
		{"query in description", url.Values{"query": {"FLEXBOX"}}, func(c catalogListing) bool { return c.title == "advanced CSS" }},
		{"title", url.Values{"title": {"advanced"}}, func(c catalogListing) bool { return catalogContains(c.title, "advanced") }},
		{"title C++ literally", url.Values{"title": {"C++"}}, func(c catalogListing) bool { return c.title == "Advanced C++ Templates" }},
		{"query C++ literally", url.Values{"query": {"c++"}}, func(c catalogListing) bool { return c.title == "Advanced C++ Templates" }},
		{"nested quantifier literally", url.Values{"query": {"(a+)+$"}}, func(c catalogListing) bool { return strings.Contains(c.title, "(a+)+$") }},
		{"dot star literally", url.Values{"title": {".*"}}, func(c catalogListing) bool { return strings.Contains(c.title, ".*") }},
		{"dot alone literally", url.Values{"query": {"."}}, func(c catalogListing) bool { return strings.Contains(c.title, ".") }},
		{"brackets literally", url.Values{"query": {"[a-z]"}}, func(catalogListing) bool { return false }},
		{"backslash literally", url.Values{"query": {`\w`}}, func(catalogListing) bool { return false }},
		{"anchors literally", url.Values{"title": {"^Go"}}, func(catalogListing) bool { return false }},
		{"category", url.Values{"category": {"programming"}}, func(c catalogListing) bool { return c.category == "Programming" }},
		{"category substring", url.Values{"category": {"PROCESS"}}, func(c catalogListing) bool { return c.category == "Text Processing" }},
		{"level", url.Values{"level": {"advanced"}}, func(c catalogListing) bool { return c.level == "advanced" }},
		{"minPrice", url.Values{"minPrice": {"30"}}, func(c catalogListing) bool { return c.price >= 30 }},
		{"maxPrice", url.Values{"maxPrice": {"20"}}, func(c catalogListing) bool { return c.price <= 20 }},
		{"price range", url.Values{"minPrice": {"10"}, "maxPrice": {"45"}}, func(c catalogListing) bool { return c.price >= 10 && c.price <= 45 }},
		{"free", url.Values{"maxPrice": {"0"}}, func(c catalogListing) bool { return c.price == 0 }},
		{"combined", url.Values{"category": {"programming"}, "level": {"beginner"}, "query": {"go"}}, func(c catalogListing) bool {
			return c.title == "Go Programming Basics"
		}},
		{"no match", url.Values{"title": {"quantum"}}, func(catalogListing) bool { return false }},
		{"whitespace around", url.Values{"title": {"  watercolor  "}}, func(c catalogListing) bool { return c.title == "Watercolor" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := catalogIDsOf(all, tc.keep, newest)
			got, p := s.search(t, catalogCourses+"/search", tc.q, "")
			if !slices.Equal(got, want) {
				t.Errorf("search %s: got %v, want %v", tc.q.Encode(), got, want)
			}
			if p["total"] != float64(len(want)) || p["page"] != 1.0 || p["limit"] != 10.0 {
				t.Errorf("pagination %v, want total %d page 1 limit 10", p, len(want))
			}
		})
	}

	t.Run("sort orders", func(t *testing.T) {
		for _, tc := range []struct {
			sortBy string
			less   func(a, b catalogListing) int
		}{
			{"", newest},
			{"newest", newest},
			{"oldest", oldest},
			{"price-asc", func(a, b catalogListing) int { return cmp.Compare(a.price, b.price) }},
			{"price-desc", func(a, b catalogListing) int { return cmp.Compare(b.price, a.price) }},
			{"title", func(a, b catalogListing) int { return strings.Compare(a.title, b.title) }},
		} {
			q := url.Values{"minPrice": {"0"}, "limit": {"100"}}
			if tc.sortBy != "" {
				q.Set("sortBy", tc.sortBy)
			}
			got, _ := s.search(t, catalogCourses+"/search", q, student.Token)
			if want := catalogIDsOf(all, everyCourse, tc.less); !slices.Equal(got, want) {
				t.Errorf("sortBy=%q: got %v, want %v", tc.sortBy, got, want)
			}
		}
	})

	t.Run("pagination", func(t *testing.T) {
		want := catalogIDsOf(all, everyCourse, func(a, b catalogListing) int { return cmp.Compare(a.price, b.price) })
		var pages []string
		for page := 1; page <= 3; page++ {
			q := url.Values{"minPrice": {"0"}, "sortBy": {"price-asc"}, "limit": {"3"}, "page": {strconv.Itoa(page)}}
			got, p := s.search(t, catalogCourses+"/search", q, "")
			wantN := min(3, len(want)-(page-1)*3)
			if len(got) != wantN || p["total"] != float64(len(want)) || p["pages"] != 3.0 || p["page"] != float64(page) || p["limit"] != 3.0 {
				t.Errorf("page %d: %d courses, pagination %v; want %d courses of %d in 3 pages", page, len(got), p, wantN, len(want))
			}
			pages = append(pages, got...)
		}
		if !slices.Equal(pages, want) {
			t.Errorf("pages joined %v, want %v", pages, want)
		}
		got, p := s.search(t, catalogCourses+"/search", url.Values{"minPrice": {"0"}, "limit": {"3"}, "page": {"4"}}, "")
		if len(got) != 0 || p["total"] != float64(len(want)) || p["pages"] != 3.0 {
			t.Errorf("page past the end: %v %v", got, p)
		}
		got, p = s.search(t, catalogCourses+"/search", url.Values{"title": {"quantum"}}, "")
		if len(got) != 0 || p["total"] != 0.0 || p["pages"] != 0.0 {
			t.Errorf("no results: %v %v", got, p)
		}
		_, p = s.search(t, catalogCourses+"/search", url.Values{"minPrice": {"0"}, "limit": {"1"}}, "")
		if p["pages"] != float64(len(want)) {
			t.Errorf("limit 1: pages %v, want %d", p["pages"], len(want))
		}
		_, p = s.search(t, catalogCourses+"/search", url.Values{"minPrice": {"0"}, "limit": {"100"}}, "")
		if p["pages"] != 1.0 || p["limit"] != 100.0 {
			t.Errorf("limit 100: %v", p)
		}
	})

	t.Run("listed course", func(t *testing.T) {
		resp := s.Do(t, http.MethodGet, catalogCourses+"/search?title=watercolor", nil, "")
		c := objects(t, apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data"), "courses")[0]
		in := apptest.Object(t, c, "instructor")
		if in["_id"] != inst.ID || in["name"] != inst.Name {
			t.Errorf("instructor %v, want %s %s", in, inst.ID, inst.Name)
		}
		if c["price"] != 99.99 || c["isPublished"] != true || c["totalLectures"] != 1.0 || c["level"] != "advanced" {
			t.Errorf("listed course %v", c)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, raw := range []string{"", "sortBy=title", "page=1&limit=5", "query=", "query=%20%20", "title=&category="} {
			resp := s.Do(t, http.MethodGet, catalogCourses+"/search?"+raw, nil, "")
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("search ?%s: status %d, want 400 (no filter); body %s", raw, resp.StatusCode, resp.Body)
			}
		}
		for _, tc := range []struct{ raw, field string }{
			{"title=go&page=0", "page"}, {"title=go&page=-1", "page"}, {"title=go&page=abc", "page"}, {"title=go&page=1.5", "page"},
			{"title=go&limit=0", "limit"}, {"title=go&limit=101", "limit"}, {"title=go&limit=x", "limit"},
			{"title=go&sortBy=popular", "sortBy"}, {"minPrice=-1", "minPrice"}, {"maxPrice=abc", "maxPrice"},
			{"minPrice=NaN", "minPrice"}, {"maxPrice=Inf", "maxPrice"}, {"minPrice=50&maxPrice=10", "minPrice"},
			{"level=expert", "level"}, {"title=" + strings.Repeat("x", 101), "title"}, {"query=" + strings.Repeat("x", 101), "query"},
			{"category=" + strings.Repeat("x", 101), "category"},
		} {
			resp := s.Do(t, http.MethodGet, catalogCourses+"/search?"+tc.raw, nil, "")
			want := map[string]string{tc.field: ""}
			if tc.field == "level" {
				want[tc.field] = catalogMsgBadLevel
			}
			wantValidationMessages(t, resp, want)
		}
		resp := s.Do(t, http.MethodGet, catalogCourses+"/search?title=go&page=0&limit=500", nil, "")
		wantValidationMessages(t, resp, map[string]string{"page": "", "limit": ""})
	})
}

func TestCatalogPublishedAndInstructorLists(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	a, b, student, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)

	// Interleaved: a1 (published), b1 (published), a2 (draft), b2 (draft), a3 (published).
	a1 := s.publishedCourse(t, a.Token, map[string]string{"title": "A1"})["_id"].(string)
	b1 := s.publishedCourse(t, b.Token, map[string]string{"title": "B1"})["_id"].(string)
	a2 := s.createCourse(t, a.Token, map[string]string{"title": "A2"})["_id"].(string)
	b2 := s.createCourse(t, b.Token, map[string]string{"title": "B2"})["_id"].(string)
	a3 := s.publishedCourse(t, a.Token, map[string]string{"title": "A3"})["_id"].(string)

	t.Run("published", func(t *testing.T) {
		for _, token := range []string{"", student.Token, a.Token, admin.Token} {
			got, p := s.search(t, catalogCourses+"/published", nil, token)
			if want := []string{a3, b1, a1}; !slices.Equal(got, want) {
				t.Errorf("published: %v, want newest first %v", got, want)
			}
			if p["total"] != 3.0 || p["page"] != 1.0 || p["limit"] != 10.0 || p["pages"] != 1.0 {
				t.Errorf("pagination %v", p)
			}
		}
		got, p := s.search(t, catalogCourses+"/published", url.Values{"limit": {"2"}, "page": {"2"}}, "")
		if !slices.Equal(got, []string{a1}) || p["pages"] != 2.0 || p["total"] != 3.0 {
			t.Errorf("page 2 of 2: %v %v", got, p)
		}
		resp := s.Do(t, http.MethodGet, catalogCourses+"/published", nil, "")
		c := objects(t, apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data"), "courses")[0]
		if in := apptest.Object(t, c, "instructor"); in["_id"] != a.ID || in["name"] != a.Name {
			t.Errorf("instructor not populated: %v", in)
		}
		for _, raw := range []string{"page=0", "limit=0", "limit=101", "page=x"} {
			if resp := s.Do(t, http.MethodGet, catalogCourses+"/published?"+raw, nil, ""); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("published?%s: status %d, want 400", raw, resp.StatusCode)
			}
		}
	})

	t.Run("instructor", func(t *testing.T) {
		got, p := s.search(t, catalogCourses+"/instructor", nil, a.Token)
		if want := []string{a3, a2, a1}; !slices.Equal(got, want) || p["total"] != 3.0 {
			t.Errorf("a's courses: %v %v, want %v with the draft", got, p, want)
		}
		got, _ = s.search(t, catalogCourses+"/instructor", nil, b.Token)
		if want := []string{b2, b1}; !slices.Equal(got, want) {
			t.Errorf("b's courses: %v, want %v", got, want)
		}
		got, p = s.search(t, catalogCourses+"/instructor", url.Values{"limit": {"1"}, "page": {"3"}}, a.Token)
		if !slices.Equal(got, []string{a1}) || p["pages"] != 3.0 {
			t.Errorf("a's page 3: %v %v", got, p)
		}
		got, p = s.search(t, catalogCourses+"/instructor", nil, admin.Token)
		if len(got) != 0 || p["total"] != 0.0 {
			t.Errorf("admin's own courses: %v %v, want none", got, p)
		}
		apptest.WantError(t, s.Do(t, http.MethodGet, catalogCourses+"/instructor", nil, ""), http.StatusUnauthorized, catalogMsgNotLoggedIn)
		apptest.WantError(t, s.Do(t, http.MethodGet, catalogCourses+"/instructor", nil, student.Token), http.StatusForbidden, catalogMsgNoPermission)
		if resp := s.Do(t, http.MethodGet, catalogCourses+"/instructor?limit=101", nil, a.Token); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("limit 101: status %d, want 400", resp.StatusCode)
		}
	})
}
