package httpapi

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
)

// pathID returns the path parameter param, which must be an ObjectId (24
// hex digits); otherwise a 400 "Invalid <name> ID".
func pathID(r *http.Request, param, name string) (string, error) {
	id := chi.URLParam(r, param)
	if !validID(id) {
		return "", apperr.New(apperr.Invalid, "invalid_id", fmt.Sprintf("Invalid %s ID", name))
	}
	return id, nil
}

// lecturePath returns the course and lecture ids of a
// /{courseId}/lectures/{lectureId} path.
func lecturePath(r *http.Request) (courseID, lectureID string, err error) {
	if courseID, err = pathID(r, "courseId", "course"); err != nil {
		return "", "", err
	}
	if lectureID, err = pathID(r, "lectureId", "lecture"); err != nil {
		return "", "", err
	}
	return courseID, lectureID, nil
}

// validID reports whether id is 24 lowercase or uppercase hex digits.
func validID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
