package course

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lms-backend/lms/internal/apperr"
)

// Errors of sections and the curriculum.
var (
	ErrSectionNotFound   = apperr.New(apperr.NotFound, "section_not_found", "Section not found in this course")
	ErrCurriculumChanged = apperr.New(apperr.Conflict, "curriculum_changed", "The curriculum was changed by another request; reload it and try again")
	ErrTooManySections   = apperr.New(apperr.Invalid, "too_many_sections", fmt.Sprintf("A course can have at most %d sections", MaxSections))
	ErrPublishedSection  = apperr.New(apperr.Conflict, "section_lectures_published", "Lectures can be deleted with their section only while the course is a draft; unpublish it first")
)

// MaxSections bounds the sections of one course (they live in the course's
// document).
const MaxSections = 100

// Section is a titled group of a course's lectures.
type Section struct {
	ID         string
	Title      string
	LectureIDs []string // in order
}

// Curriculum is the order of a course's lectures: first the lectures in no
// section, then each section's lectures, section by section. Its flat
// order is the course's lecture order.
type Curriculum struct {
	Unsectioned []string
	Sections    []Section
}

// Curriculum returns the course's curriculum: LectureIDs holds every
// lecture, Sections the sectioned ones, and the others keep their order in
// LectureIDs.
func (c *Course) Curriculum() Curriculum {
	sectioned := map[string]bool{}
	sections := make([]Section, len(c.Sections))
	for i, s := range c.Sections {
		sections[i] = Section{ID: s.ID, Title: s.Title, LectureIDs: slices.Clone(s.LectureIDs)}
		for _, id := range s.LectureIDs {
			sectioned[id] = true
		}
	}
	unsectioned := []string{}
	for _, id := range c.LectureIDs {
		if !sectioned[id] {
			unsectioned = append(unsectioned, id)
		}
	}
	return Curriculum{Unsectioned: unsectioned, Sections: sections}
}

// Flat returns every lecture in course order.
func (cu Curriculum) Flat() []string {
	out := slices.Clone(cu.Unsectioned)
	for _, s := range cu.Sections {
		out = append(out, s.LectureIDs...)
	}
	return out
}

// section returns the index of a section, or -1.
func (cu Curriculum) section(id string) int {
	return slices.IndexFunc(cu.Sections, func(s Section) bool { return s.ID == id })
}

// place moves a lecture of the curriculum to position pos (1-based; 0 or
// beyond the end: last) of a section, or of the unsectioned lectures when
// sectionID is "".
func (cu *Curriculum) place(lectureID, sectionID string, pos int) error {
	group := &cu.Unsectioned
	if sectionID != "" {
		i := cu.section(sectionID)
		if i < 0 {
			return ErrSectionNotFound
		}
		group = &cu.Sections[i].LectureIDs
	}
	cu.Unsectioned = slices.DeleteFunc(cu.Unsectioned, func(id string) bool { return id == lectureID })
	for i := range cu.Sections {
		cu.Sections[i].LectureIDs = slices.DeleteFunc(cu.Sections[i].LectureIDs, func(id string) bool { return id == lectureID })
	}
	if pos < 1 || pos > len(*group) {
		pos = len(*group) + 1
	}
	*group = slices.Insert(*group, pos-1, lectureID)
	return nil
}

// sectionOf returns the id of the lecture's section, "" when it has none.
func (cu Curriculum) sectionOf(lectureID string) string {
	for _, s := range cu.Sections {
		if slices.Contains(s.LectureIDs, lectureID) {
			return s.ID
		}
	}
	return ""
}

// reorder returns the curriculum that want describes — sections (by id)
// and lectures in a new order — if it lists every section and lecture of
// cu exactly once and nothing else; otherwise a validation error names
// every offending id. Titles are kept.
func (cu Curriculum) reorder(want Curriculum) (Curriculum, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	lectures := map[string]bool{}
	for _, id := range cu.Flat() {
		lectures[id] = true
	}
	seenLecture := map[string]bool{}
	checkLectures := func(field string, ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			id = strings.ToLower(id)
			switch {
			case !lectures[id]:
				bad(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("Lecture %s is not in this course", id))
			case seenLecture[id]:
				bad(fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("Lecture %s is listed more than once", id))
			}
			seenLecture[id] = true
			out[i] = id
		}
		return out
	}
	out := Curriculum{Unsectioned: checkLectures("unsectioned", want.Unsectioned), Sections: make([]Section, len(want.Sections))}
	seenSection := map[string]bool{}
	for i, s := range want.Sections {
		id := strings.ToLower(s.ID)
		field := fmt.Sprintf("sections[%d]", i)
		j := cu.section(id)
		switch {
		case j < 0:
			bad(field+"._id", fmt.Sprintf("Section %s is not in this course", id))
		case seenSection[id]:
			bad(field+"._id", fmt.Sprintf("Section %s is listed more than once", id))
		default:
			out.Sections[i].Title = cu.Sections[j].Title
		}
		seenSection[id] = true
		out.Sections[i].ID = id
		out.Sections[i].LectureIDs = checkLectures(field+".lectureIds", s.LectureIDs)
	}
	for _, s := range cu.Sections {
		if !seenSection[s.ID] {
			bad("sections", fmt.Sprintf("Section %s is missing", s.ID))
		}
	}
	for _, id := range cu.Flat() {
		if !seenLecture[id] {
			bad("lectures", fmt.Sprintf("Lecture %s is missing", id))
		}
	}
	if err := apperr.Validation(fields); err != nil {
		return Curriculum{}, err
	}
	return out, nil
}
