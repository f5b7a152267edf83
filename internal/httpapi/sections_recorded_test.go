package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// sectionlessGolden is the recorded course page of a course without
// sections, taken before sections existed: such a course's pages must not
// change. UPDATE_GOLDEN=1 records it again (only ever on purpose).
var sectionlessGolden = filepath.Join("testdata", "sectionless_course_pages.json")

func TestSectionsSectionlessCoursePagesUnchanged(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	c := s.createCourse(t, inst.Token, nil)
	courseID := c["_id"].(string)
	second := s.addLecture(t, inst.Token, courseID, "Second", 2, false, 20)
	first := s.addLecture(t, inst.Token, courseID, "First", 1, true, 10)
	s.publish(t, inst.Token, courseID)
	s.Enrol(t, student.ID, courseID)

	names := map[string]string{
		courseID: "<course>", inst.ID: "<instructor>", student.ID: "<student>",
		first["_id"].(string): "<lecture First>", second["_id"].(string): "<lecture Second>",
	}
	pages := map[string]any{}
	for _, p := range []struct{ name, path, token string }{
		{"anonymous course page", catalogCourses + "/" + courseID, ""},
		{"owner course page", catalogCourses + "/" + courseID, inst.Token},
		{"student course page", catalogCourses + "/" + courseID, student.Token},
		{"student lectures", catalogCourses + "/" + courseID + "/lectures", student.Token},
		{"student purchase status", "/api/v1/payments/courses/" + courseID + "/purchase-status", student.Token},
	} {
		resp := s.Do(t, http.MethodGet, p.path, nil, p.token)
		wantStatus(t, resp, http.StatusOK)
		var v any
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		pages[p.name] = normalizeRecorded(v, names)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pages); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(sectionlessGolden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(sectionlessGolden)
	if err != nil {
		t.Fatalf("read the recorded pages: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("a sectionless course's pages changed:\n got %s\nwant %s", got, want)
	}

}

var (
	recordedImageURL = regexp.MustCompile(`^https?://[^/]+/media/images/[^/?]+\.png$`)
	recordedVideoURL = regexp.MustCompile(`^https?://[^/]+/media/videos/[^/?]+\.mp4\?.+$`)
)

// normalizeRecorded replaces what differs from run to run — ids, times,
// generated media names and signatures — by stable placeholders, and keeps
// everything else (keys, values, order of arrays) as it was.
func normalizeRecorded(v any, names map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "createdAt" || k == "updatedAt" {
				x[k] = "<time>"
				continue
			}
			x[k] = normalizeRecorded(e, names)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeRecorded(e, names)
		}
		return x
	case string:
		if n, ok := names[x]; ok {
			return n
		}
		switch {
		case recordedImageURL.MatchString(x):
			return "<image URL>"
		case recordedVideoURL.MatchString(x):
			return "<signed video URL>"
		}
		return x
	}
	return v
}
