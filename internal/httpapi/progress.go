package httpapi

import (
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/progress"
	"github.com/lms-backend/lms/internal/user"
)

// progressResponse is a CourseProgress. User and Course are ids, or the
// populated progressUserResponse and progressCourseResponse.
type progressResponse struct {
	ID                   string                    `json:"_id"`
	User                 any                       `json:"user"`
	Course               any                       `json:"course"`
	LectureProgress      []progressLectureResponse `json:"lectureProgress"`
	CompletionPercentage int                       `json:"completionPercentage"`
	IsCompleted          bool                      `json:"isCompleted"`
	LastAccessed         time.Time                 `json:"lastAccessed"`
	CreatedAt            time.Time                 `json:"createdAt"`
	UpdatedAt            time.Time                 `json:"updatedAt"`
	Resume               *resumeResponse           `json:"resume"`

	// Sections is on GET only, and only when the course has sections.
	Sections []progressSectionResponse `json:"sections,omitempty"`
}

type progressLectureResponse struct {
	Lecture        string     `json:"lecture"`
	IsCompleted    bool       `json:"isCompleted"`
	LastWatched    *time.Time `json:"lastWatched"`
	Position       float64    `json:"position"`
	WatchedSeconds float64    `json:"watchedSeconds"`
}

// resumeResponse is where to continue a course; null for a course without
// lectures.
type resumeResponse struct {
	LectureID string  `json:"lectureId"`
	Position  float64 `json:"position"`
}

func resumeOf(r *progress.Record) *resumeResponse {
	at := r.Resume()
	if at == nil {
		return nil
	}
	return &resumeResponse{LectureID: at.LectureID, Position: at.Position}
}

type progressSectionResponse struct {
	ID                   string `json:"_id"`
	Title                string `json:"title"`
	CompletedLectures    int    `json:"completedLectures"`
	TotalLectures        int    `json:"totalLectures"`
	CompletionPercentage int    `json:"completionPercentage"`
	IsCompleted          bool   `json:"isCompleted"`
}

type progressCourseResponse struct {
	ID          string   `json:"_id"`
	Title       string   `json:"title"`
	Subtitle    string   `json:"subtitle"`
	Description string   `json:"description"`
	Thumbnail   string   `json:"thumbnail"`
	Lectures    []string `json:"lectures"`
}

type progressUserResponse struct {
	ID     string `json:"_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Avatar string `json:"avatar"`
}

// The progress envelopes: {"status": "success"} with data or a message.
type progressDataEnvelope struct {
	Status string           `json:"status"`
	Data   progressResponse `json:"data"`
}

func progressRecordResponse(rec *progress.Record) progressResponse {
	resp := progressResponse{
		ID: rec.ID, User: rec.UserID, Course: rec.CourseID,
		LectureProgress:      make([]progressLectureResponse, len(rec.Lectures)),
		CompletionPercentage: rec.CompletionPercentage, IsCompleted: rec.IsCompleted,
		LastAccessed: rec.LastAccessed.UTC(), CreatedAt: rec.CreatedAt.UTC(), UpdatedAt: rec.UpdatedAt.UTC(),
		Resume: resumeOf(rec),
	}
	for i, e := range rec.Lectures {
		l := progressLectureResponse{Lecture: e.LectureID, IsCompleted: e.IsCompleted, Position: e.Position, WatchedSeconds: e.WatchedSeconds}
		if e.LastWatched != nil {
			t := e.LastWatched.UTC()
			l.LastWatched = &t
		}
		resp.LectureProgress[i] = l
	}
	return resp
}

func (s *server) progressDetailResponse(d *progress.Detail, u *user.User) progressResponse {
	resp := progressRecordResponse(&d.Record)
	resp.Course = progressCourseResponse{
		ID: d.Course.ID, Title: d.Course.Title, Subtitle: d.Course.Subtitle, Description: d.Course.Description,
		Thumbnail: s.media.ImageURL(d.Course.Thumbnail), Lectures: d.Course.LectureIDs,
	}
	resp.User = progressUserResponse{ID: u.ID, Name: u.Name, Email: u.Email, Avatar: s.media.ImageURL(u.Avatar)}
	for _, p := range d.Sections {
		resp.Sections = append(resp.Sections, progressSectionResponse{
			ID: p.SectionID, Title: p.Title, CompletedLectures: p.CompletedLectures, TotalLectures: p.TotalLectures,
			CompletionPercentage: p.CompletionPercentage, IsCompleted: p.IsCompleted,
		})
	}
	return resp
}

func (s *server) getProgress(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	d, err := s.progress.Get(r.Context(), id, courseID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, progressDataEnvelope{Status: "success", Data: s.progressDetailResponse(d, sessionUser(r))})
	return nil
}

func (s *server) updateLectureProgress(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	var req struct {
		IsCompleted *bool `json:"isCompleted"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.IsCompleted == nil {
		return apperr.Validation([]apperr.FieldError{{Field: "isCompleted", Message: "isCompleted is required and must be a boolean"}})
	}
	id, _ := caller(r)
	rec, err := s.progress.SetLecture(r.Context(), id, courseID, lectureID, *req.IsCompleted)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, progressDataEnvelope{Status: "success", Data: progressRecordResponse(rec)})
	return nil
}

func (s *server) reportPosition(w http.ResponseWriter, r *http.Request) error {
	courseID, lectureID, err := lecturePath(r)
	if err != nil {
		return err
	}
	var req struct {
		Seconds *float64 `json:"seconds"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Seconds == nil {
		return apperr.Validation([]apperr.FieldError{{Field: "seconds", Message: "seconds is required and must be a number"}})
	}
	id, _ := caller(r)
	rec, err := s.progress.ReportPosition(r.Context(), id, courseID, lectureID, *req.Seconds)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, progressDataEnvelope{Status: "success", Data: progressRecordResponse(rec)})
	return nil
}

// inProgressResponse is a course of the "continue learning" list.
type inProgressResponse struct {
	Course               inProgressCourseResponse `json:"course"`
	CompletionPercentage int                      `json:"completionPercentage"`
	LastAccessed         time.Time                `json:"lastAccessed"`
	Resume               *resumeResponse          `json:"resume"`
}

type inProgressCourseResponse struct {
	ID            string `json:"_id"`
	Title         string `json:"title"`
	Subtitle      string `json:"subtitle"`
	Thumbnail     string `json:"thumbnail"`
	TotalLectures int    `json:"totalLectures"`
}

type inProgressEnvelope struct {
	Status string               `json:"status"`
	Data   []inProgressResponse `json:"data"`
}

func (s *server) coursesInProgress(w http.ResponseWriter, r *http.Request) error {
	id, _ := caller(r)
	list, err := s.progress.InProgress(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]inProgressResponse, len(list))
	for i, p := range list {
		out[i] = inProgressResponse{
			Course: inProgressCourseResponse{
				ID: p.Course.ID, Title: p.Course.Title, Subtitle: p.Course.Subtitle,
				Thumbnail: s.media.ImageURL(p.Course.Thumbnail), TotalLectures: len(p.Course.LectureIDs),
			},
			CompletionPercentage: p.CompletionPercentage, LastAccessed: p.LastAccessed.UTC(), Resume: resumeOf(&p.Record),
		}
	}
	writeJSON(w, http.StatusOK, inProgressEnvelope{Status: "success", Data: out})
	return nil
}

func (s *server) completeCourse(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.progress.Complete(r.Context(), id, courseID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusMessage{Status: "success", Message: "Course marked as completed"})
	return nil
}

func (s *server) resetProgress(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.progress.Reset(r.Context(), id, courseID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusMessage{Status: "success", Message: "Course progress has been reset"})
	return nil
}
