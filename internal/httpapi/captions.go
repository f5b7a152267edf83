package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// captionUploadTime is how long a caption form may take.
const captionUploadTime = 5 * time.Minute

// captionResponse is a lecture's caption track; URL, signed and expiring
// like the video's, only when the caller may watch the lecture.
type captionResponse struct {
	Language string  `json:"language"`
	Label    string  `json:"label"`
	URL      *string `json:"url"`
}

func (s *server) captionResponses(ctx context.Context, captions []course.Caption, canWatch bool) ([]captionResponse, error) {
	if len(captions) == 0 {
		return nil, nil
	}
	out := make([]captionResponse, len(captions))
	for i, c := range captions {
		out[i] = captionResponse{Language: c.Language, Label: c.Label}
		if canWatch {
			u, err := s.media.CaptionURL(ctx, c.Key)
			if err != nil {
				return nil, err
			}
			out[i].URL = &u
		}
	}
	return out, nil
}

func (s *server) uploadCaption(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	id, _ := caller(r)
	l, err := s.courses.SetCaption(r.Context(), id, courseID, lectureID, func() (course.CaptionInput, error) {
		if !hasMediaType(r, "multipart/form-data") {
			return course.CaptionInput{}, apperr.New(apperr.Unsupported, "unsupported_media_type", "Content-Type must be multipart/form-data")
		}
		f, err := s.readMultipart(w, r, []string{"language", "label"}, map[string]saveFunc{"file": s.media.SaveCaption}, captionUploadTime)
		if err != nil {
			return course.CaptionInput{}, err
		}
		in := course.CaptionInput{Language: f.field("language"), Label: f.field("label")}
		if obj, ok := f.files["file"]; ok {
			in.File = &obj.Key
		}
		return in, nil
	})
	if err != nil {
		return err
	}
	return s.writeLecture(w, r, http.StatusOK, "Captions saved successfully", l)
}

func (s *server) deleteCaption(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.courses.RemoveCaption(r.Context(), id, courseID, lectureID, chi.URLParam(r, "language")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Captions removed successfully"})
	return nil
}
