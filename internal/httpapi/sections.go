package httpapi

import (
	"net/http"
	"strings"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

type sectionResponse struct {
	ID         string   `json:"_id"`
	Title      string   `json:"title"`
	Order      int      `json:"order"`
	LectureIDs []string `json:"lectureIds"`
}

// sectionResponses lists a course's sections in order; nil (the key is
// then left out of course pages) when it has none.
func sectionResponses(sections []course.Section) []sectionResponse {
	if len(sections) == 0 {
		return nil
	}
	out := make([]sectionResponse, len(sections))
	for i, s := range sections {
		out[i] = sectionResponse{ID: s.ID, Title: s.Title, Order: i + 1, LectureIDs: s.LectureIDs}
	}
	return out
}

type curriculumResponse struct {
	CurriculumVersion int64             `json:"curriculumVersion"`
	Sections          []sectionResponse `json:"sections"`
	Unsectioned       []string          `json:"unsectioned"`
}

func newCurriculumResponse(c *course.Course) curriculumResponse {
	cu := c.Curriculum()
	sections := sectionResponses(cu.Sections)
	if sections == nil {
		sections = []sectionResponse{}
	}
	return curriculumResponse{CurriculumVersion: c.CurriculumVersion, Sections: sections, Unsectioned: cu.Unsectioned}
}

type sectionEnvelope struct {
	Success           bool            `json:"success"`
	Message           string          `json:"message"`
	Section           sectionResponse `json:"section"`
	CurriculumVersion int64           `json:"curriculumVersion"`
}

func writeSection(w http.ResponseWriter, status int, message string, c *course.Course, at int) {
	sections := sectionResponses(c.Sections)
	writeJSON(w, status, sectionEnvelope{Success: true, Message: message, Section: sections[at], CurriculumVersion: c.CurriculumVersion})
}

// sectionPath returns the course and section ids of a
// /{courseId}/sections/{sectionId} path.
func sectionPath(r *http.Request) (courseID, sectionID string, err error) {
	if courseID, err = pathID(r, "courseId", "course"); err != nil {
		return "", "", err
	}
	if sectionID, err = pathID(r, "sectionId", "section"); err != nil {
		return "", "", err
	}
	return courseID, strings.ToLower(sectionID), nil
}

func (s *server) getCurriculum(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	c, err := s.courses.Curriculum(r.Context(), id, courseID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: newCurriculumResponse(c)})
	return nil
}

func (s *server) reorderCurriculum(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	var req struct {
		CurriculumVersion *int64 `json:"curriculumVersion"`
		Sections          []struct {
			ID         string   `json:"_id"`
			LectureIDs []string `json:"lectureIds"`
		} `json:"sections"`
		Unsectioned []string `json:"unsectioned"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var fields []apperr.FieldError
	if req.CurriculumVersion == nil {
		fields = append(fields, apperr.FieldError{Field: "curriculumVersion", Message: "curriculumVersion is required"})
	}
	if req.Sections == nil || req.Unsectioned == nil {
		fields = append(fields, apperr.FieldError{Field: "sections", Message: "sections and unsectioned are required (use [] for none)"})
	}
	if err := apperr.Validation(fields); err != nil {
		return err
	}
	want := course.Curriculum{Unsectioned: req.Unsectioned, Sections: make([]course.Section, len(req.Sections))}
	for i, sec := range req.Sections {
		want.Sections[i] = course.Section{ID: sec.ID, LectureIDs: sec.LectureIDs}
	}
	id, _ := caller(r)
	c, err := s.courses.Reorder(r.Context(), id, courseID, *req.CurriculumVersion, want)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Curriculum updated successfully", Data: newCurriculumResponse(c)})
	return nil
}

func (s *server) addSection(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	var req struct {
		Title *string `json:"title"`
		Order *int    `json:"order"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, _ := caller(r)
	c, at, err := s.courses.AddSection(r.Context(), id, courseID, deref(req.Title), req.Order)
	if err != nil {
		return err
	}
	writeSection(w, http.StatusCreated, "Section created successfully", c, at)
	return nil
}

func (s *server) updateSection(w http.ResponseWriter, r *http.Request) error {
	courseID, sectionID, err := sectionPath(r)
	if err != nil {
		return err
	}
	var req struct {
		Title *string `json:"title"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Title == nil {
		return course.ErrNothingToUpdate
	}
	id, _ := caller(r)
	c, at, err := s.courses.RenameSection(r.Context(), id, courseID, sectionID, *req.Title)
	if err != nil {
		return err
	}
	writeSection(w, http.StatusOK, "Section updated successfully", c, at)
	return nil
}

func (s *server) deleteSection(w http.ResponseWriter, r *http.Request) error {
	courseID, sectionID, err := sectionPath(r)
	if err != nil {
		return err
	}
	var withLectures bool
	switch r.URL.Query().Get("withLectures") {
	case "", "false":
	case "true":
		withLectures = true
	default:
		return apperr.Validation([]apperr.FieldError{{Field: "withLectures", Message: "withLectures must be true or false"}})
	}
	id, _ := caller(r)
	if err := s.courses.DeleteSection(r.Context(), id, courseID, sectionID, withLectures); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Section deleted successfully"})
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
