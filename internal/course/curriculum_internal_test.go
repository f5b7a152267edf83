package course

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
)

func TestCurriculumOfCourse(t *testing.T) {
	c := &Course{
		LectureIDs: []string{"a", "b", "c", "d", "e"},
		Sections:   []Section{{ID: "s1", LectureIDs: []string{"d", "b"}}, {ID: "s2", LectureIDs: []string{}}},
	}
	cu := c.Curriculum()
	if !slices.Equal(cu.Unsectioned, []string{"a", "c", "e"}) || !slices.Equal(cu.Flat(), []string{"a", "c", "e", "d", "b"}) {
		t.Errorf("curriculum %+v, flat %v", cu, cu.Flat())
	}
	cu.Sections[0].LectureIDs[0] = "x"
	if c.Sections[0].LectureIDs[0] != "d" {
		t.Error("the curriculum shares the course's slices")
	}
}

func TestCurriculumPlace(t *testing.T) {
	base := func() Curriculum {
		return Curriculum{Unsectioned: []string{"a", "b"}, Sections: []Section{{ID: "s1", LectureIDs: []string{"c", "d"}}, {ID: "s2", LectureIDs: []string{}}}}
	}
	for _, tc := range []struct {
		lecture, section string
		pos              int
		want             string
	}{
		{"a", "s1", 1, "[b] s1[a c d] s2[]"},
		{"a", "s1", 0, "[b] s1[c d a] s2[]"},
		{"a", "s1", 99, "[b] s1[c d a] s2[]"},
		{"d", "", 1, "[d a b] s1[c] s2[]"},
		{"c", "s1", 2, "[a b] s1[d c] s2[]"},
		{"c", "s2", 1, "[a b] s1[d] s2[c]"},
		{"b", "", 1, "[b a] s1[c d] s2[]"},
	} {
		cu := base()
		if err := cu.place(tc.lecture, tc.section, tc.pos); err != nil {
			t.Fatalf("place %s in %q at %d: %v", tc.lecture, tc.section, tc.pos, err)
		}
		if got := show(cu); got != tc.want {
			t.Errorf("place %s in %q at %d: %s, want %s", tc.lecture, tc.section, tc.pos, got, tc.want)
		}
	}
	cu := base()
	if err := cu.place("a", "nope", 1); err != ErrSectionNotFound || show(cu) != show(base()) {
		t.Errorf("unknown section: %v, %s", err, show(cu))
	}
}

func show(cu Curriculum) string {
	parts := []string{fmt.Sprint(cu.Unsectioned)}
	for _, s := range cu.Sections {
		parts = append(parts, s.ID+fmt.Sprint(s.LectureIDs))
	}
	return strings.Join(parts, " ")
}

func TestCurriculumReorder(t *testing.T) {
	cu := Curriculum{Unsectioned: []string{"aa"}, Sections: []Section{{ID: "s1", Title: "One", LectureIDs: []string{"bb"}}, {ID: "s2", Title: "Two", LectureIDs: []string{"cc"}}}}
	got, err := cu.reorder(Curriculum{Unsectioned: []string{}, Sections: []Section{{ID: "S2", LectureIDs: []string{"CC", "aa"}}, {ID: "s1", LectureIDs: []string{"bb"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if show(got) != "[] s2[cc aa] s1[bb]" || got.Sections[0].Title != "Two" || got.Sections[1].Title != "One" {
		t.Errorf("reordered %s %+v", show(got), got.Sections)
	}
	for _, tc := range []struct {
		name   string
		want   Curriculum
		fields []string
	}{
		{"missing lecture", Curriculum{Sections: []Section{{ID: "s1", LectureIDs: []string{"bb"}}, {ID: "s2", LectureIDs: []string{"cc"}}}}, []string{"lectures"}},
		{"foreign lecture", Curriculum{Unsectioned: []string{"aa", "zz"}, Sections: []Section{{ID: "s1", LectureIDs: []string{"bb"}}, {ID: "s2", LectureIDs: []string{"cc"}}}}, []string{"unsectioned[1]"}},
		{"twice", Curriculum{Unsectioned: []string{"aa", "bb"}, Sections: []Section{{ID: "s1", LectureIDs: []string{"bb"}}, {ID: "s2", LectureIDs: []string{"cc"}}}}, []string{"sections[0].lectureIds[0]"}},
		{"section twice", Curriculum{Unsectioned: []string{"aa"}, Sections: []Section{{ID: "s1", LectureIDs: []string{"bb"}}, {ID: "s1", LectureIDs: []string{"cc"}}}}, []string{"sections[1]._id", "sections"}},
		{"foreign section", Curriculum{Unsectioned: []string{"aa"}, Sections: []Section{{ID: "s1", LectureIDs: []string{"bb", "cc"}}, {ID: "s3"}}}, []string{"sections[1]._id", "sections"}},
	} {
		_, err := cu.reorder(tc.want)
		e, ok := apperr.As(err)
		if !ok || e.Code != "validation_failed" {
			t.Errorf("%s: %v, want a validation error", tc.name, err)
			continue
		}
		var fields []string
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
		}
		if !slices.Equal(fields, tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, fields, tc.fields)
		}
	}
}
