package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// videoUploadTime is how long a lecture form with a video may take.
const videoUploadTime = 2 * time.Hour

var lectureTextFields = []string{"title", "description", "order", "isPreview", "sectionId"}

type lectureResponse struct {
	ID          string    `json:"_id"`
	Course      string    `json:"course"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	VideoURL    *string   `json:"videoUrl"`
	Duration    float64   `json:"duration"`
	IsPreview   bool      `json:"isPreview"`
	Order       int       `json:"order"`
	Locked      bool      `json:"locked"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	// Captions is absent for a lecture without tracks, so such lectures
	// look exactly as they always did.
	Captions []captionResponse `json:"captions,omitempty"`
}

// lectureResponse shows a lecture; its video URL, signed and expiring, only
// when the caller may watch it.
func (s *server) lectureResponse(ctx context.Context, l *course.Lecture, canWatch bool) (lectureResponse, error) {
	resp := lectureResponse{
		ID: l.ID, Course: l.CourseID, Title: l.Title, Description: l.Description, Duration: l.Duration,
		IsPreview: l.IsPreview, Order: l.Order, Locked: !canWatch, CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(),
	}
	if canWatch {
		u, err := s.media.VideoURL(ctx, l.Video)
		if err != nil {
			return lectureResponse{}, err
		}
		resp.VideoURL = &u
	}
	var err error
	if resp.Captions, err = s.captionResponses(ctx, l.Captions, canWatch); err != nil {
		return lectureResponse{}, err
	}
	return resp, nil
}

func (s *server) lectureResponses(ctx context.Context, lectures []course.Lecture, canWatch []bool) ([]lectureResponse, error) {
	out := make([]lectureResponse, len(lectures))
	for i := range lectures {
		var err error
		if out[i], err = s.lectureResponse(ctx, &lectures[i], canWatch[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type lectureEnvelope struct {
	Success bool            `json:"success"`
	Message string          `json:"message"`
	Lecture lectureResponse `json:"lecture"`
}

// lectureInput reads a lecture form: multipart with an optional video, or
// (when JSON is allowed) a JSON body.
func (s *server) lectureInput(w http.ResponseWriter, r *http.Request, allowJSON bool) (course.LectureInput, error) {
	if allowJSON && hasMediaType(r, "application/json") {
		var req struct {
			Title       *string `json:"title"`
			Description *string `json:"description"`
			Order       *int    `json:"order"`
			IsPreview   *bool   `json:"isPreview"`
			SectionID   *string `json:"sectionId"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return course.LectureInput{}, err
		}
		sectionID, err := sectionIDInput(req.SectionID)
		if err != nil {
			return course.LectureInput{}, err
		}
		return course.LectureInput{Title: req.Title, Description: req.Description, Order: req.Order, IsPreview: req.IsPreview, SectionID: sectionID}, nil
	}
	if !hasMediaType(r, "multipart/form-data") {
		return course.LectureInput{}, apperr.New(apperr.Unsupported, "unsupported_media_type", "Content-Type must be multipart/form-data or application/json")
	}
	f, err := s.readMultipart(w, r, lectureTextFields, map[string]saveFunc{"video": s.media.SaveVideo}, videoUploadTime)
	if err != nil {
		return course.LectureInput{}, err
	}
	in := course.LectureInput{Title: f.field("title"), Description: f.field("description")}
	var fields []apperr.FieldError
	if v := f.field("order"); v != nil {
		n, err := strconv.Atoi(*v)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: "order", Message: "Order must be a whole number"})
		}
		in.Order = &n
	}
	if v := f.field("isPreview"); v != nil {
		b, err := strconv.ParseBool(*v)
		if err != nil {
			fields = append(fields, apperr.FieldError{Field: "isPreview", Message: "isPreview must be true or false"})
		}
		in.IsPreview = &b
	}
	sectionID, err := sectionIDInput(f.field("sectionId"))
	if e, ok := apperr.As(err); ok {
		fields = append(fields, e.Fields...)
	}
	in.SectionID = sectionID
	if err := apperr.Validation(fields); err != nil {
		s.removeFiles(r.Context(), f)
		return course.LectureInput{}, err
	}
	if obj, ok := f.files["video"]; ok {
		in.Video, in.Duration = &obj.Key, &obj.Duration
	}
	return in, nil
}

func (s *server) addLecture(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	l, err := s.courses.AddLecture(r.Context(), id, courseID, func() (course.LectureInput, error) { return s.lectureInput(w, r, false) })
	if err != nil {
		return err
	}
	return s.writeLecture(w, r, http.StatusCreated, "Lecture added successfully", l)
}

func (s *server) writeLecture(w http.ResponseWriter, r *http.Request, status int, message string, l *course.Lecture) error {
	resp, err := s.lectureResponse(r.Context(), l, true)
	if err != nil {
		return err
	}
	writeJSON(w, status, lectureEnvelope{Success: true, Message: message, Lecture: resp})
	return nil
}

func (s *server) listLectures(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	lectures, canWatch, err := s.courses.Lectures(r.Context(), id, courseID)
	if err != nil {
		return err
	}
	resp, err := s.lectureResponses(r.Context(), lectures, canWatch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: resp})
	return nil
}

func (s *server) updateLecture(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	id, _ := caller(r)
	l, err := s.courses.UpdateLecture(r.Context(), id, courseID, lectureID, func() (course.LectureInput, error) { return s.lectureInput(w, r, true) })
	if err != nil {
		return err
	}
	return s.writeLecture(w, r, http.StatusOK, "Lecture updated successfully", l)
}

func (s *server) deleteLecture(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.courses.DeleteLecture(r.Context(), id, courseID, lectureID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Lecture removed successfully"})
	return nil
}

// sectionIDInput checks a lecture's sectionId: a section's id, or "" for
// none.
func sectionIDInput(id *string) (*string, error) {
	if id == nil || *id == "" {
		return id, nil
	}
	if !validID(*id) {
		return nil, apperr.Validation([]apperr.FieldError{{Field: "sectionId", Message: "sectionId must be a section's ID, or empty for none"}})
	}
	lower := strings.ToLower(*id)
	return &lower, nil
}
