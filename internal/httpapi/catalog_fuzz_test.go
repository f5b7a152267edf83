package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzCourseIDPaths sends arbitrary strings as the {courseId} and
// {lectureId} path segments of every catalog route that takes them, as
// anonymous, the owner and an admin: the answer is never a 5xx.
func FuzzCourseIDPaths(f *testing.F) {
	s := catalogStart(f, nil)
	owner, admin := s.signUp(f, "instructor"), s.admin(f)
	courseID := s.createCourse(f, owner.Token, nil)["_id"].(string)
	lectureID := s.addLecture(f, owner.Token, courseID, "Fixture", 1, true, 2)["_id"].(string)

	for _, seed := range [][2]string{
		{courseID, lectureID},
		{courseID, courseID},
		{lectureID, lectureID},
		{strings.ToUpper(courseID), strings.ToUpper(lectureID)},
		{courseID, "0123456789abcdef01234567"},
		{"0123456789abcdef01234567", lectureID},
		{"", ""},
		{"0", "1"},
		{strings.Repeat("f", 24), strings.Repeat("F", 25)},
		{strings.Repeat("z", 24), strings.Repeat("g", 24)},
		{"search", "published"},
		{"instructor", "publish"},
		{"..", "."},
		{"../../user/profile", "../"},
		{"$where", `{"$gt":""}`},
		{`ObjectId("0123456789abcdef01234567")`, "null"},
		{"%00", "%zz"},
		{"\x00\xff\xfe", "\u202e\u0000"},
		{"日本語のコース", "🎬"},
		{"0123456789abcdef0123456\u0660", " 0123456789abcdef01234567"},
		{strings.Repeat("a", 5000), strings.Repeat("%", 300)},
		{"a?b#c", "a/b;c"},
	} {
		f.Add(seed[0], seed[1])
	}

	f.Fuzz(func(t *testing.T, c, l string) {
		cp, lp := url.PathEscape(c), url.PathEscape(l)
		base := catalogCourses + "/" + cp
		type call struct {
			method, path string
			body         any
			token        string
		}
		calls := []call{
			{http.MethodGet, base, nil, ""},
			{http.MethodGet, base, nil, owner.Token},
			{http.MethodGet, base + "/lectures", nil, ""},
			{http.MethodGet, base + "/lectures", nil, admin.Token},
			{http.MethodPatch, base, map[string]any{}, owner.Token},
			{http.MethodPatch, base, map[string]any{"title": "Fuzzed"}, admin.Token},
			{http.MethodPatch, base + "/publish", map[string]any{"isPublished": false}, owner.Token},
			{http.MethodPost, base + "/lectures", map[string]any{}, owner.Token},
			{http.MethodPatch, base + "/lectures/" + lp, map[string]any{}, owner.Token},
			{http.MethodPatch, base + "/lectures/" + lp, map[string]any{"order": 1}, admin.Token},
			{http.MethodPatch, base + "/lectures/" + lp, map[string]any{}, ""},
			{http.MethodDelete, base, nil, ""},
		}
		// Keep the fixture alive so that later inputs still reach it.
		if c != courseID && !strings.EqualFold(c, courseID) {
			calls = append(calls, call{http.MethodDelete, base, nil, owner.Token})
		}
		if l != lectureID && !strings.EqualFold(l, lectureID) {
			calls = append(calls, call{http.MethodDelete, base + "/lectures/" + lp, nil, admin.Token})
		}
		for _, k := range calls {
			resp := s.Do(t, k.method, k.path, k.body, k.token)
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s: status %d; body %s", k.method, k.path, resp.StatusCode, resp.Body)
			}
		}
	})
}
