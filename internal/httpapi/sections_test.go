package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// Sections and the curriculum: a course's lectures grouped into ordered
// sections, reordered in one version-checked step.

// sectionsCourse is a draft course of inst with lectures titled as given
// (order 1..n); it returns the course id and the lecture ids by title.
func (s *catalogServer) sectionsCourse(t testing.TB, inst catalogUser, titles ...string) (string, map[string]string) {
	t.Helper()
	c := s.createCourse(t, inst.Token, nil)
	courseID := c["_id"].(string)
	ids := map[string]string{}
	for i, title := range titles {
		ids[title] = s.addLecture(t, inst.Token, courseID, title, i+1, false, 10)["_id"].(string)
	}
	return courseID, ids
}

// addSection adds a section and returns its id.
func (s *catalogServer) addSection(t testing.TB, token, courseID string, body map[string]any) string {
	t.Helper()
	resp := s.Do(t, http.MethodPost, catalogCourses+"/"+courseID+"/sections", body, token)
	m := wantOK(t, resp, http.StatusCreated, "Section created successfully")
	wantKeys(t, "envelope", m, "success", "message", "section", "curriculumVersion")
	return apptest.Object(t, m, "section")["_id"].(string)
}

// curriculum reads the curriculum as the course's editor.
func (s *catalogServer) curriculum(t testing.TB, token, courseID string) map[string]any {
	t.Helper()
	resp := s.Do(t, http.MethodGet, catalogCourses+"/"+courseID+"/curriculum", nil, token)
	return apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data")
}

// version is a curriculum's version.
func version(t testing.TB, cu map[string]any) int64 {
	t.Helper()
	v, ok := cu["curriculumVersion"].(float64)
	if !ok {
		t.Fatalf("curriculumVersion = %#v", cu["curriculumVersion"])
	}
	return int64(v)
}

// section is a section of a reorder body.
type section struct {
	ID       string   `json:"_id"`
	Lectures []string `json:"lectureIds"`
}

// reorderBody is the body of PUT /curriculum.
func reorderBody(v int64, unsectioned []string, sections ...section) map[string]any {
	if unsectioned == nil {
		unsectioned = []string{}
	}
	if sections == nil {
		sections = []section{}
	}
	for i := range sections {
		if sections[i].Lectures == nil {
			sections[i].Lectures = []string{}
		}
	}
	return map[string]any{"curriculumVersion": v, "unsectioned": unsectioned, "sections": sections}
}

// pageOrder returns a course page's lecture titles in order, checking that
// their order fields are 1..n, and its sections as "title: lecture titles".
func pageOrder(t testing.TB, page map[string]any) (lectures []string, sections []string) {
	t.Helper()
	titles := map[string]string{}
	for i, l := range objects(t, page, "lectures") {
		lectures = append(lectures, l["title"].(string))
		titles[l["_id"].(string)] = l["title"].(string)
		if l["order"] != float64(i+1) {
			t.Errorf("lecture %v has order %v, want %d", l["title"], l["order"], i+1)
		}
	}
	if _, ok := page["sections"]; !ok {
		return lectures, nil
	}
	for i, sec := range objects(t, page, "sections") {
		wantKeys(t, "section", sec, "_id", "title", "order", "lectureIds")
		if sec["order"] != float64(i+1) {
			t.Errorf("section %v has order %v, want %d", sec["title"], sec["order"], i+1)
		}
		var names []string
		for _, id := range sec["lectureIds"].([]any) {
			names = append(names, titles[id.(string)])
		}
		sections = append(sections, fmt.Sprintf("%s: %s", sec["title"], strings.Join(names, " ")))
	}
	return lectures, sections
}

func wantOrder(t testing.TB, page map[string]any, lectures, sections []string) {
	t.Helper()
	gotL, gotS := pageOrder(t, page)
	if !slices.Equal(gotL, lectures) || !slices.Equal(gotS, sections) {
		t.Errorf("course order:\n got  %q %q\n want %q %q", gotL, gotS, lectures, sections)
	}
}

func TestSectionsReorderRoundTrips(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	courseID, l := s.sectionsCourse(t, inst, "A", "B", "C", "D")
	path := catalogCourses + "/" + courseID

	basics := s.addSection(t, inst.Token, courseID, map[string]any{"title": "  Basics "})
	advanced := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Advanced"})
	intro := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Intro", "order": 1})
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"A", "B", "C", "D"},
		[]string{"Intro: ", "Basics: ", "Advanced: "})

	// A student's progress, made before any move.
	s.Enrol(t, student.ID, courseID)
	s.publish(t, inst.Token, courseID)
	for _, title := range []string{"A", "A", "C"} { // the first call only creates the record
		resp := s.Do(t, http.MethodPatch, "/api/v1/progress/"+courseID+"/lectures/"+l[title], map[string]bool{"isCompleted": true}, student.Token)
		wantStatus(t, resp, http.StatusOK)
	}

	cu := s.curriculum(t, inst.Token, courseID)
	wantKeys(t, "curriculum", cu, "curriculumVersion", "sections", "unsectioned")
	v := version(t, cu)
	resp := s.Do(t, http.MethodPut, path+"/curriculum", reorderBody(v, []string{l["B"]},
		section{basics, []string{l["C"], l["A"]}}, section{intro, nil}, section{advanced, []string{l["D"]}}), inst.Token)
	m := wantOK(t, resp, http.StatusOK, "Curriculum updated successfully")
	if got := version(t, apptest.Object(t, m, "data")); got != v+1 {
		t.Errorf("version after reorder %d, want %d", got, v+1)
	}
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"B", "C", "A", "D"},
		[]string{"Basics: C A", "Intro: ", "Advanced: D"})

	// Moves through the lecture endpoints: out of a section, into one at a
	// position, within one.
	resp = s.Do(t, http.MethodPatch, path+"/lectures/"+l["A"], map[string]string{"sectionId": ""}, inst.Token)
	if got := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Lecture updated successfully"), "lecture"); got["order"] != 2.0 {
		t.Errorf("moved lecture's order %v, want 2", got["order"])
	}
	resp = s.Do(t, http.MethodPatch, path+"/lectures/"+l["D"], map[string]any{"sectionId": strings.ToUpper(intro), "order": 1}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Lecture updated successfully")
	resp = s.Do(t, http.MethodPatch, path+"/lectures/"+l["B"], map[string]any{"order": 9}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Lecture updated successfully")
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"A", "B", "C", "D"},
		[]string{"Basics: C", "Intro: D", "Advanced: "})

	// A new lecture placed in a section; another into no section.
	fields := map[string]string{"title": "E", "order": "1", "sectionId": advanced}
	wantOK(t, s.sendForm(t, http.MethodPost, path+"/lectures", inst.Token, fields, catalogVideo(5)), http.StatusCreated, "Lecture added successfully")
	fields = map[string]string{"title": "F", "order": "1"}
	created := wantOK(t, s.sendForm(t, http.MethodPost, path+"/lectures", inst.Token, fields, catalogVideo(5)), http.StatusCreated, "Lecture added successfully")
	if got := apptest.Object(t, created, "lecture"); got["order"] != 1.0 {
		t.Errorf("new unsectioned lecture's order %v, want 1", got["order"])
	}
	page := s.getCourse(t, student.Token, courseID)
	wantOrder(t, page, []string{"F", "A", "B", "C", "D", "E"}, []string{"Basics: C", "Intro: D", "Advanced: E"})
	if page["totalLectures"] != 6.0 {
		t.Errorf("totalLectures %v, want 6", page["totalLectures"])
	}
	// The lecture list and the course's lecture ids agree with the page.
	list := wantOK(t, s.Do(t, http.MethodGet, path+"/lectures", nil, student.Token), http.StatusOK, "")
	var listed []string
	for i, lec := range objects(t, list, "data") {
		listed = append(listed, lec["title"].(string))
		if lec["order"] != float64(i+1) {
			t.Errorf("listed lecture %v order %v, want %d", lec["title"], lec["order"], i+1)
		}
	}
	if !slices.Equal(listed, []string{"F", "A", "B", "C", "D", "E"}) {
		t.Errorf("lecture list %q", listed)
	}

	// Rename; delete a section: its lectures stay, unsectioned, in place.
	resp = s.Do(t, http.MethodPatch, path+"/sections/"+basics, map[string]string{"title": "Foundations"}, inst.Token)
	renamed := wantOK(t, resp, http.StatusOK, "Section updated successfully")
	if sec := apptest.Object(t, renamed, "section"); sec["title"] != "Foundations" || sec["order"] != 1.0 {
		t.Errorf("renamed section %v", sec)
	}
	// D joins the end of the unsectioned lectures.
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+intro, nil, inst.Token), http.StatusOK, "Section deleted successfully")
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"F", "A", "B", "D", "C", "E"}, []string{"Foundations: C", "Advanced: E"})
	cu = s.curriculum(t, inst.Token, courseID)
	if got := cu["unsectioned"].([]any); len(got) != 4 || got[3] != l["D"] {
		t.Errorf("unsectioned after deleting a section: %v", got)
	}

	// Progress followed none of it: the same lectures are completed, and
	// each section shows its own completion.
	data := progressOf(t, s, student.Token, courseID)
	var done []string
	for _, e := range objects(t, data, "lectureProgress") {
		if e["isCompleted"] == true {
			done = append(done, e["lecture"].(string))
		}
	}
	slices.Sort(done)
	want := []string{l["A"], l["C"]}
	slices.Sort(want)
	if !slices.Equal(done, want) || data["completionPercentage"] != 33.0 {
		t.Errorf("completed %v (%v %%), want A and C (33 %%)", done, data["completionPercentage"])
	}
	secs := objects(t, data, "sections")
	if len(secs) != 2 || secs[0]["title"] != "Foundations" || secs[0]["completedLectures"] != 1.0 || secs[0]["totalLectures"] != 1.0 ||
		secs[0]["completionPercentage"] != 100.0 || secs[0]["isCompleted"] != true ||
		secs[1]["completedLectures"] != 0.0 || secs[1]["totalLectures"] != 1.0 || secs[1]["isCompleted"] != false {
		t.Errorf("per-section progress %v", secs)
	}

	// Deleting the last section makes the course sectionless again: no
	// sections key, the same order.
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+basics, nil, inst.Token), http.StatusOK, "Section deleted successfully")
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+advanced, nil, inst.Token), http.StatusOK, "Section deleted successfully")
	page = s.getCourse(t, inst.Token, courseID)
	wantKeys(t, "course", page, catalogCourseKeys...)
	wantOrder(t, page, []string{"F", "A", "B", "D", "C", "E"}, nil)
	if prog := progressOf(t, s, student.Token, courseID); prog["sections"] != nil {
		t.Errorf("progress of a sectionless course has sections %v", prog["sections"])
	}
}

func TestSectionsReorderSectionlessCourse(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, l := s.sectionsCourse(t, inst, "A", "B", "C")
	cu := s.curriculum(t, inst.Token, courseID)
	if len(cu["sections"].([]any)) != 0 {
		t.Fatalf("sections %v", cu["sections"])
	}
	resp := s.Do(t, http.MethodPut, catalogCourses+"/"+courseID+"/curriculum", reorderBody(version(t, cu), []string{l["C"], l["A"], l["B"]}), inst.Token)
	wantOK(t, resp, http.StatusOK, "Curriculum updated successfully")
	page := s.getCourse(t, inst.Token, courseID)
	wantOrder(t, page, []string{"C", "A", "B"}, nil)
	if _, ok := page["sections"]; ok {
		t.Errorf("a course without sections shows sections: %v", page["sections"])
	}
	// The seed way still works afterwards: order as given.
	resp = s.Do(t, http.MethodPatch, catalogCourses+"/"+courseID+"/lectures/"+l["C"], map[string]int{"order": 10}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Lecture updated successfully")
	var lectures []string
	for _, lec := range objects(t, s.getCourse(t, inst.Token, courseID), "lectures") {
		lectures = append(lectures, lec["title"].(string))
	}
	if !slices.Equal(lectures, []string{"A", "B", "C"}) {
		t.Errorf("after moving C to order 10: %q", lectures)
	}
}

func TestSectionsReorderValidatedAsAWhole(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, l := s.sectionsCourse(t, inst, "A", "B", "C")
	_, other := s.sectionsCourse(t, inst, "X")
	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "One"})
	cu := s.curriculum(t, inst.Token, courseID)
	v := version(t, cu)
	foreignSection := "0123456789abcdef01234567"
	for _, tc := range []struct {
		name string
		body map[string]any
		want []string // ids the errors must name
	}{
		{"missing lecture", reorderBody(v, []string{l["A"]}, section{sec, []string{l["B"]}}), []string{l["C"]}},
		{"foreign lecture", reorderBody(v, []string{l["A"], l["B"], l["C"], other["X"]}, section{sec, nil}), []string{other["X"]}},
		{"listed twice", reorderBody(v, []string{l["A"], l["B"]}, section{sec, []string{l["C"], l["A"]}}), []string{l["A"]}},
		{"unknown section", reorderBody(v, []string{l["A"], l["B"], l["C"]}, section{sec, nil}, section{foreignSection, nil}), []string{foreignSection}},
		{"missing section", reorderBody(v, []string{l["A"], l["B"], l["C"]}), []string{sec}},
		{"several at once", reorderBody(v, []string{l["A"], other["X"]}, section{foreignSection, []string{l["A"]}}), []string{other["X"], foreignSection, l["A"], sec, l["B"], l["C"]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.Do(t, http.MethodPut, catalogCourses+"/"+courseID+"/curriculum", tc.body, inst.Token)
			wantAnyFail(t, resp, http.StatusBadRequest)
			body := string(resp.Body)
			for _, id := range tc.want {
				if !strings.Contains(body, id) {
					t.Errorf("errors do not name %s: %s", id, body)
				}
			}
		})
	}
	for _, body := range []map[string]any{
		{"curriculumVersion": v, "sections": []any{}},
		{"sections": []any{}, "unsectioned": []any{}},
		{"curriculumVersion": v, "sections": []any{}, "unsectioned": []any{}, "lectures": []any{}},
	} {
		resp := s.Do(t, http.MethodPut, catalogCourses+"/"+courseID+"/curriculum", body, inst.Token)
		wantAnyFail(t, resp, http.StatusBadRequest)
	}
	// Nothing changed.
	if after := s.curriculum(t, inst.Token, courseID); version(t, after) != v {
		t.Errorf("a refused reorder changed the version: %d, want %d", version(t, after), v)
	}
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"A", "B", "C"}, []string{"One: "})
}

func TestSectionsConcurrentReordersOneWinsPerVersion(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, l := s.sectionsCourse(t, inst, "A", "B", "C", "D")
	one := s.addSection(t, inst.Token, courseID, map[string]any{"title": "One"})
	two := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Two"})
	ids := []string{l["A"], l["B"], l["C"], l["D"]}
	const n = 12
	for round := range 3 {
		v := version(t, s.curriculum(t, inst.Token, courseID))
		bodies := make([]map[string]any, n)
		for i := range n {
			// Each request a different arrangement: a rotation, split
			// between the sections at a different point.
			rot := append(slices.Clone(ids[i%4:]), ids[:i%4]...)
			k := i % 3
			bodies[i] = reorderBody(v, rot[:k], section{one, rot[k : k+1]}, section{two, rot[k+1:]})
			if i%2 == 1 {
				bodies[i]["sections"] = []section{{two, rot[k+1:]}, {one, rot[k : k+1]}}
			}
		}
		results := concurrently(n, func(i int) result {
			return sendRaw(http.MethodPut, s.URL+catalogCourses+"/"+courseID+"/curriculum", "application/json", inst.Token, bodies[i])
		})
		winner := -1
		for i, r := range results {
			switch {
			case r.err != nil:
				t.Fatalf("round %d request %d: %v", round, i, r.err)
			case r.status == http.StatusOK && winner < 0:
				winner = i
			case r.status == http.StatusOK:
				t.Errorf("round %d: requests %d and %d both won version %d", round, winner, i, v)
			case r.status != http.StatusConflict || !strings.Contains(string(r.body), `"code":"curriculum_changed"`):
				t.Errorf("round %d request %d: %d %s, want 409 curriculum_changed", round, i, r.status, r.body)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no request won", round)
		}
		// The stored curriculum is exactly the winner's, one version on.
		cu := s.curriculum(t, inst.Token, courseID)
		if version(t, cu) != v+1 {
			t.Errorf("round %d: version %d, want %d", round, version(t, cu), v+1)
		}
		want := bodies[winner]
		var gotSections []section
		for _, sec := range objects(t, cu, "sections") {
			var lecs []string
			for _, id := range sec["lectureIds"].([]any) {
				lecs = append(lecs, id.(string))
			}
			gotSections = append(gotSections, section{sec["_id"].(string), lecs})
		}
		wantSections := want["sections"].([]section)
		var flat []string
		flat = append(flat, want["unsectioned"].([]string)...)
		for i := range wantSections {
			if wantSections[i].Lectures == nil {
				wantSections[i].Lectures = nil
			}
			flat = append(flat, wantSections[i].Lectures...)
		}
		if fmt.Sprint(gotSections) != fmt.Sprint(wantSections) || fmt.Sprint(cu["unsectioned"]) != fmt.Sprint(want["unsectioned"]) {
			t.Errorf("round %d: stored %v %v, want the winner's %v %v", round, cu["unsectioned"], gotSections, want["unsectioned"], wantSections)
		}
		page := s.getCourse(t, inst.Token, courseID)
		var pageIDs []string
		for i, lec := range objects(t, page, "lectures") {
			pageIDs = append(pageIDs, lec["_id"].(string))
			if lec["order"] != float64(i+1) {
				t.Errorf("round %d: lecture order %v at %d", round, lec["order"], i+1)
			}
		}
		if !slices.Equal(pageIDs, flat) {
			t.Errorf("round %d: page order %v, want %v", round, pageIDs, flat)
		}
	}
}

func TestSectionsAccess(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, other, student, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.admin(t)
	courseID, l := s.sectionsCourse(t, inst, "A")
	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "One"})
	path := catalogCourses + "/" + courseID
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, path + "/curriculum", nil},
		{http.MethodPut, path + "/curriculum", reorderBody(0, []string{l["A"]}, section{sec, nil})},
		{http.MethodPost, path + "/sections", map[string]string{"title": "Two"}},
		{http.MethodPatch, path + "/sections/" + sec, map[string]string{"title": "Renamed"}},
		{http.MethodDelete, path + "/sections/" + sec, nil},
	}
	for _, c := range calls {
		apptest.WantError(t, s.Do(t, c.method, c.path, c.body, ""), http.StatusUnauthorized, catalogMsgNotLoggedIn)
		apptest.WantError(t, s.Do(t, c.method, c.path, c.body, student.Token), http.StatusForbidden, catalogMsgNoPermission)
		apptest.WantError(t, s.Do(t, c.method, c.path, c.body, other.Token), http.StatusForbidden, catalogMsgNotOwner)
	}
	// An admin may act as the owner.
	wantOK(t, s.Do(t, http.MethodPatch, path+"/sections/"+sec, map[string]string{"title": "By admin"}, admin.Token), http.StatusOK, "Section updated successfully")
	// Bad ids and unknown sections.
	apptest.WantError(t, s.Do(t, http.MethodPatch, path+"/sections/nope", map[string]string{"title": "x"}, inst.Token), http.StatusBadRequest, "Invalid section ID")
	apptest.WantError(t, s.Do(t, http.MethodDelete, path+"/sections/0123456789abcdef01234567", nil, inst.Token), http.StatusNotFound, "Section not found in this course")
	apptest.WantError(t, s.Do(t, http.MethodPatch, path+"/lectures/"+l["A"], map[string]string{"sectionId": "0123456789abcdef01234567"}, inst.Token), http.StatusNotFound, "Section not found in this course")
	wantValidation(t, s.Do(t, http.MethodPatch, path+"/lectures/"+l["A"], map[string]string{"sectionId": "x"}, inst.Token), "sectionId")
	// A lecture for an unknown section is refused and its upload removed.
	files := s.mediaFiles(t)
	resp := s.sendForm(t, http.MethodPost, path+"/lectures", inst.Token,
		map[string]string{"title": "B", "order": "1", "sectionId": "0123456789abcdef01234567"}, catalogVideo(3))
	apptest.WantError(t, resp, http.StatusNotFound, "Section not found in this course")
	s.wantMediaFiles(t, files)
	wantValidation(t, s.Do(t, http.MethodPost, path+"/sections", map[string]string{"title": "  "}, inst.Token), "title")
	wantValidation(t, s.Do(t, http.MethodPost, path+"/sections", map[string]any{"title": "x", "order": 0}, inst.Token), "order")
	wantValidation(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec+"?withLectures=yes", nil, inst.Token), "withLectures")
	apptest.WantError(t, s.Do(t, http.MethodPatch, path+"/sections/"+sec, map[string]string{}, inst.Token), http.StatusBadRequest, "Nothing to update")
	apptest.WantError(t, s.Do(t, http.MethodPut, path+"/curriculum", reorderBody(0, []string{l["A"]}, section{sec, nil}), inst.Token), http.StatusConflict, "")
}

func TestSectionsDeleteWithLectures(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	courseID, l := s.sectionsCourse(t, inst, "A", "B", "C")
	path := catalogCourses + "/" + courseID
	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Gone"})
	v := version(t, s.curriculum(t, inst.Token, courseID))
	wantOK(t, s.Do(t, http.MethodPut, path+"/curriculum", reorderBody(v, []string{l["A"]}, section{sec, []string{l["B"], l["C"]}}), inst.Token), http.StatusOK, "")
	s.Enrol(t, student.ID, courseID)
	s.SeedProgress(t, student.ID, courseID, []string{l["A"], l["B"], l["C"]}, true)

	// A published course keeps its lectures.
	s.publish(t, inst.Token, courseID)
	apptest.WantError(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec+"?withLectures=true", nil, inst.Token), http.StatusConflict,
		"Lectures can be deleted with their section only while the course is a draft; unpublish it first")
	wantOrder(t, s.getCourse(t, inst.Token, courseID), []string{"A", "B", "C"}, []string{"Gone: B C"})

	resp := s.Do(t, http.MethodPatch, path+"/publish", map[string]bool{"isPublished": false}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Course unpublished successfully")
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec+"?withLectures=true", nil, inst.Token), http.StatusOK, "Section deleted successfully")
	page := s.getCourse(t, inst.Token, courseID)
	wantOrder(t, page, []string{"A"}, nil)
	if page["totalLectures"] != 1.0 || page["totalDuration"] != 10.0 {
		t.Errorf("totals %v %v, want 1 and 10", page["totalLectures"], page["totalDuration"])
	}
	if n := s.Count(t, "lectures", bson.M{"course": objectID(t, courseID)}); n != 1 {
		t.Errorf("%d lecture documents left, want 1", n)
	}
	// Their progress entries went as a deleted lecture's do.
	prog := progressOf(t, s, student.Token, courseID)
	entries := objects(t, prog, "lectureProgress")
	if len(entries) != 1 || entries[0]["lecture"] != l["A"] || prog["completionPercentage"] != 100.0 {
		t.Errorf("progress after deleting a section's lectures: %v", prog)
	}
	var stored struct {
		LectureProgress []struct {
			Lecture any `bson:"lecture"`
		} `bson:"lectureProgress"`
	}
	if err := s.Mongo.Collection("courseprogresses").FindOne(t.Context(), map[string]any{}).Decode(&stored); err != nil {
		t.Fatalf("read progress: %v", err)
	}
	if len(stored.LectureProgress) != 1 {
		t.Errorf("stored progress keeps %d entries, want 1", len(stored.LectureProgress))
	}
}

// progressOf reads a user's progress record of a course.
func progressOf(t testing.TB, s *catalogServer, token, courseID string) map[string]any {
	t.Helper()
	resp := s.Do(t, http.MethodGet, "/api/v1/progress/"+courseID, nil, token)
	wantStatus(t, resp, http.StatusOK)
	return apptest.Object(t, resp.JSON(t), "data")
}

// With the catalog cache on, every curriculum write shows at once on this
// instance's course pages (anonymous ones, cached publicly, too) and in
// purchase-status.
func TestSectionsWritesDropTheCourseCache(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	courseID, l := s.sectionsCourse(t, inst, "A", "B")
	s.publish(t, inst.Token, courseID)
	path := catalogCourses + "/" + courseID
	status := func() map[string]any {
		t.Helper()
		resp := s.Do(t, http.MethodGet, "/api/v1/payments/courses/"+courseID+"/purchase-status", nil, student.Token)
		return apptest.Object(t, apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "data"), "course")
	}
	wantOrder(t, s.getCourse(t, "", courseID), []string{"A", "B"}, nil)
	wantOrder(t, status(), []string{"A", "B"}, nil)

	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "One"})
	wantOrder(t, s.getCourse(t, "", courseID), []string{"A", "B"}, []string{"One: "})
	v := version(t, s.curriculum(t, inst.Token, courseID))
	wantOK(t, s.Do(t, http.MethodPut, path+"/curriculum", reorderBody(v, []string{l["B"]}, section{sec, []string{l["A"]}}), inst.Token), http.StatusOK, "")
	wantOrder(t, s.getCourse(t, "", courseID), []string{"B", "A"}, []string{"One: A"})
	wantOrder(t, status(), []string{"B", "A"}, []string{"One: A"})
	wantOK(t, s.Do(t, http.MethodPatch, path+"/sections/"+sec, map[string]string{"title": "Renamed"}, inst.Token), http.StatusOK, "")
	wantOrder(t, s.getCourse(t, "", courseID), []string{"B", "A"}, []string{"Renamed: A"})
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec, nil, inst.Token), http.StatusOK, "")
	wantOrder(t, s.getCourse(t, "", courseID), []string{"B", "A"}, nil)
	wantOrder(t, status(), []string{"B", "A"}, nil)
}

// Section calls re-read and retry when another change of the curriculum
// got in first: of simultaneous creations none is lost, and each bumps the
// version once.
func TestSectionsConcurrentCreationsAllLand(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, _ := s.sectionsCourse(t, inst, "A")
	v := version(t, s.curriculum(t, inst.Token, courseID))
	const n = 10
	results := concurrently(n, func(i int) result {
		return sendRaw(http.MethodPost, s.URL+catalogCourses+"/"+courseID+"/sections", "application/json", inst.Token,
			map[string]string{"title": fmt.Sprintf("S%d", i)})
	})
	for i, r := range results {
		if r.err != nil || r.status != http.StatusCreated {
			t.Errorf("create %d: %d %s %v", i, r.status, r.body, r.err)
		}
	}
	cu := s.curriculum(t, inst.Token, courseID)
	var titles []string
	for _, sec := range objects(t, cu, "sections") {
		titles = append(titles, sec["title"].(string))
	}
	slices.Sort(titles)
	if len(slices.Compact(slices.Clone(titles))) != n {
		t.Errorf("sections after %d concurrent creations: %v", n, titles)
	}
	if got := version(t, cu); got != v+n {
		t.Errorf("version %d, want %d", got, v+n)
	}
}

// Deleting a section with its lectures drops the course from the catalog
// cache after the lectures went, not only after the curriculum changed: a
// page read in between must not leave the deleted lectures cached.
func TestSectionsDeleteWithLecturesDropsTheCourseCache(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	inst := s.signUp(t, "instructor")
	titles := []string{"Kept"}
	for i := range 12 {
		titles = append(titles, fmt.Sprintf("L%d", i))
	}
	courseID, l := s.sectionsCourse(t, inst, titles...)
	path := catalogCourses + "/" + courseID
	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Gone"})
	var gone []string
	for _, title := range titles[1:] {
		gone = append(gone, l[title])
	}
	v := version(t, s.curriculum(t, inst.Token, courseID))
	wantOK(t, s.Do(t, http.MethodPut, path+"/curriculum", reorderBody(v, []string{l["Kept"]}, section{sec, gone}), inst.Token), http.StatusOK, "")

	// Course pages read all along, as visitors would.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			sendRaw(http.MethodGet, s.URL+path, "", inst.Token, nil)
		}
	})
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec+"?withLectures=true", nil, inst.Token), http.StatusOK, "Section deleted successfully")
	stop.Store(true)
	wg.Wait()
	page := s.getCourse(t, inst.Token, courseID)
	if page["totalLectures"] != 1.0 {
		t.Errorf("totalLectures %v after deleting the section's lectures, want 1", page["totalLectures"])
	}
	wantOrder(t, page, []string{"Kept"}, nil)
}

// TestSectionsReorderOfALargeCourseFitsItsCap: a reorder lists every
// lecture of the course, so its body may pass the API's 10 KB (here 500 ids,
// all foreign: validated, 400 naming them, not refused as too large); the
// other JSON routes keep 10 KB, and a reorder over its own cap is 413.
func TestSectionsReorderOfALargeCourseFitsItsCap(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, _ := s.sectionsCourse(t, inst, "A")
	v := version(t, s.curriculum(t, inst.Token, courseID))
	foreign := make([]string, 500)
	for i := range foreign {
		foreign[i] = fmt.Sprintf("%024x", i+1)
	}
	path := catalogCourses + "/" + courseID + "/curriculum"
	resp := s.Do(t, http.MethodPut, path, reorderBody(v, foreign), inst.Token)
	wantAnyFail(t, resp, http.StatusBadRequest)
	if !strings.Contains(string(resp.Body), foreign[499]) {
		t.Errorf("the errors do not name the last foreign id: %.300s", resp.Body)
	}
	// The same size elsewhere is still over the 10 KB cap.
	big := map[string]any{"title": strings.Repeat("x", 12<<10)}
	wantAnyFail(t, s.Do(t, http.MethodPost, catalogCourses+"/"+courseID+"/sections", big, inst.Token), http.StatusRequestEntityTooLarge)
	huge := make([]string, 10_000)
	for i := range huge {
		huge[i] = fmt.Sprintf("%024x", i+1)
	}
	wantAnyFail(t, s.Do(t, http.MethodPut, path, reorderBody(v, huge), inst.Token), http.StatusRequestEntityTooLarge)
}
