package httpapi

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

// thumbnailUploadTime is how long a course form with a thumbnail may take.
const thumbnailUploadTime = 5 * time.Minute

var courseTextFields = []string{"title", "subtitle", "description", "category", "level", "price"}

type courseResponse struct {
	ID            string    `json:"_id"`
	Title         string    `json:"title"`
	Subtitle      string    `json:"subtitle"`
	Description   string    `json:"description"`
	Category      string    `json:"category"`
	Level         string    `json:"level"`
	Price         float64   `json:"price"`
	Thumbnail     string    `json:"thumbnail"`
	Instructor    any       `json:"instructor"` // an id, or an instructorResponse when populated
	Lectures      any       `json:"lectures"`   // ids, or lectureResponses when populated
	IsPublished   bool      `json:"isPublished"`
	TotalLectures int       `json:"totalLectures"`
	TotalDuration float64   `json:"totalDuration"`
	EnrolledCount int       `json:"enrolledCount"`
	RatingAverage float64   `json:"ratingAverage"`
	RatingCount   int       `json:"ratingCount"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`

	// Sections is on course pages only, and only when the course has any.
	Sections []sectionResponse `json:"sections,omitempty"`
}

type instructorResponse struct {
	ID     string `json:"_id"`
	Name   string `json:"name"`
	Avatar string `json:"avatar"`
	Bio    string `json:"bio"`
}

type pagination struct {
	Page  int   `json:"page"`
	Limit int   `json:"limit"`
	Total int64 `json:"total"`
	Pages int64 `json:"pages"`
}

type coursePage struct {
	Courses    []courseResponse `json:"courses"`
	Pagination pagination       `json:"pagination"`
}

func (s *server) courseResponse(c *course.Course) courseResponse {
	return courseResponse{
		ID: c.ID, Title: c.Title, Subtitle: c.Subtitle, Description: c.Description, Category: c.Category,
		Level: c.Level, Price: c.Price, Thumbnail: s.media.ImageURL(c.Thumbnail), Instructor: c.InstructorID,
		Lectures: c.LectureIDs, IsPublished: c.IsPublished, TotalLectures: c.TotalLectures,
		TotalDuration: c.TotalDuration, EnrolledCount: c.EnrolledCount,
		RatingAverage: c.RatingAverage, RatingCount: c.RatingCount,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

func (s *server) instructorResponse(i course.Instructor) instructorResponse {
	return instructorResponse{ID: i.ID, Name: i.Name, Avatar: s.media.ImageURL(i.Avatar), Bio: i.Bio}
}

// listedResponse is a course card: the course with its instructor.
func (s *server) listedResponse(l *course.Listed) courseResponse {
	resp := s.courseResponse(&l.Course)
	resp.Instructor = s.instructorResponse(l.Instructor)
	return resp
}

// courseDetailResponse is a course page: instructor and gated lectures.
func (s *server) courseDetailResponse(ctx context.Context, d *course.Detail) (courseResponse, error) {
	resp := s.listedResponse(&course.Listed{Course: *d.Course, Instructor: d.Instructor})
	lectures, err := s.lectureResponses(ctx, d.Lectures, d.CanWatch)
	if err != nil {
		return courseResponse{}, err
	}
	resp.Lectures = lectures
	resp.Sections = sectionResponses(d.Course.Sections)
	return resp, nil
}

func (s *server) pageResponse(p *course.Page) coursePage {
	out := coursePage{
		Courses:    make([]courseResponse, len(p.Courses)),
		Pagination: pagination{Page: p.Page, Limit: p.Limit, Total: p.Total, Pages: p.Pages()},
	}
	for i := range p.Courses {
		out.Courses[i] = s.listedResponse(&p.Courses[i])
	}
	return out
}

type courseEnvelope struct {
	Success bool           `json:"success"`
	Message string         `json:"message"`
	Course  courseResponse `json:"course"`
}

func (s *server) writeCourse(w http.ResponseWriter, status int, message string, c *course.Course) {
	writeJSON(w, status, courseEnvelope{Success: true, Message: message, Course: s.courseResponse(c)})
}

// courseJSON is the JSON body of a course update.
type courseJSON struct {
	Title       *string  `json:"title"`
	Subtitle    *string  `json:"subtitle"`
	Description *string  `json:"description"`
	Category    *string  `json:"category"`
	Level       *string  `json:"level"`
	Price       *float64 `json:"price"`
}

// courseInput reads a course form: multipart with an optional thumbnail,
// or (when JSON is allowed) a JSON body.
func (s *server) courseInput(w http.ResponseWriter, r *http.Request, allowJSON bool) (course.Input, error) {
	if allowJSON && hasMediaType(r, "application/json") {
		var req courseJSON
		if err := decodeJSON(r, &req); err != nil {
			return course.Input{}, err
		}
		return course.Input{Title: req.Title, Subtitle: req.Subtitle, Description: req.Description,
			Category: req.Category, Level: req.Level, Price: req.Price}, nil
	}
	if !hasMediaType(r, "multipart/form-data") {
		return course.Input{}, apperr.New(apperr.Unsupported, "unsupported_media_type", "Content-Type must be multipart/form-data or application/json")
	}
	f, err := s.readMultipart(w, r, courseTextFields, map[string]saveFunc{"thumbnail": s.media.SaveImage}, thumbnailUploadTime)
	if err != nil {
		return course.Input{}, err
	}
	in := course.Input{Title: f.field("title"), Subtitle: f.field("subtitle"), Description: f.field("description"),
		Category: f.field("category"), Level: f.field("level"), Thumbnail: f.file("thumbnail")}
	if p := f.field("price"); p != nil {
		price, err := strconv.ParseFloat(*p, 64)
		if err != nil {
			price = math.NaN() // reported with the other fields by the service
		}
		in.Price = &price
	}
	return in, nil
}

func (s *server) createCourse(w http.ResponseWriter, r *http.Request) error {
	id, _ := caller(r)
	c, err := s.courses.Create(r.Context(), id, func() (course.Input, error) { return s.courseInput(w, r, false) })
	if err != nil {
		return err
	}
	s.writeCourse(w, http.StatusCreated, "Course created successfully", c)
	return nil
}

func (s *server) updateCourse(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	c, err := s.courses.Update(r.Context(), id, courseID, func() (course.Input, error) { return s.courseInput(w, r, true) })
	if err != nil {
		return err
	}
	s.writeCourse(w, http.StatusOK, "Course updated successfully", c)
	return nil
}

func (s *server) publishCourse(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	var req struct {
		IsPublished *bool `json:"isPublished"`
	}
	if _, err := decodeOptionalJSON(r, &req); err != nil {
		return err
	}
	id, _ := caller(r)
	c, err := s.courses.SetPublished(r.Context(), id, courseID, req.IsPublished)
	if err != nil {
		return err
	}
	message := "Course unpublished successfully"
	if c.IsPublished {
		message = "Course published successfully"
	}
	s.writeCourse(w, http.StatusOK, message, c)
	return nil
}

func (s *server) deleteCourse(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.courses.Delete(r.Context(), id, courseID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Course deleted successfully"})
	return nil
}

func (s *server) getCourse(w http.ResponseWriter, r *http.Request) error {
	courseID, err := pathID(r, "courseId", "course")
	if err != nil {
		return err
	}
	id, _ := caller(r)
	d, err := s.courses.Detail(r.Context(), id, courseID)
	if err != nil {
		return err
	}
	resp, err := s.courseDetailResponse(r.Context(), d)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: resp})
	return nil
}

func (s *server) publishedCourses(w http.ResponseWriter, r *http.Request) error {
	page, limit, err := paging(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.courses.Published(r.Context(), page, limit)
	if err != nil {
		return err
	}
	s.writePage(w, r, p)
	return nil
}

func (s *server) instructorCourses(w http.ResponseWriter, r *http.Request) error {
	page, limit, err := paging(r.URL.Query())
	if err != nil {
		return err
	}
	id, _ := caller(r)
	p, err := s.courses.ByInstructor(r.Context(), id, page, limit)
	if err != nil {
		return err
	}
	s.writePage(w, r, p)
	return nil
}

func (s *server) searchCourses(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fields []apperr.FieldError
	page, limit, err := paging(q)
	if e, ok := apperr.As(err); ok {
		fields = append(fields, e.Fields...)
	}
	query := course.Query{
		Text: q.Get("query"), Title: q.Get("title"), Category: q.Get("category"), Level: q.Get("level"),
		Sort: q.Get("sortBy"), Page: page, Limit: limit,
	}
	switch query.Sort {
	case "", course.SortNewest, course.SortOldest, course.SortPriceAsc, course.SortPriceDesc, course.SortTitle, course.SortRating:
	default:
		fields = append(fields, apperr.FieldError{Field: "sortBy", Message: "must be one of newest, oldest, price-asc, price-desc, title, rating"})
	}
	if v := q.Get("minRating"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 5 {
			fields = append(fields, apperr.FieldError{Field: "minRating", Message: "must be a number from 0 to 5"})
		} else {
			query.MinRating = &f
		}
	}
	for _, p := range []struct {
		name string
		dst  **float64
	}{{"minPrice", &query.MinPrice}, {"maxPrice", &query.MaxPrice}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			fields = append(fields, apperr.FieldError{Field: p.name, Message: "must be a number of at least 0"})
			continue
		}
		*p.dst = &f
	}
	if err := apperr.Validation(fields); err != nil {
		return err
	}
	p, err := s.courses.Search(r.Context(), query)
	if err != nil {
		return err
	}
	s.writePage(w, r, p)
	return nil
}

// paging reads page (≥ 1, default 1) and limit (1–100, default 10).
func paging(q url.Values) (page, limit int, err error) {
	var fields []apperr.FieldError
	page, limit = 1, course.DefaultLimit
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			fields = append(fields, apperr.FieldError{Field: "page", Message: "must be a whole number of at least 1"})
		}
		page = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > course.MaxLimit {
			fields = append(fields, apperr.FieldError{Field: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", course.MaxLimit)})
		}
		limit = n
	}
	return page, limit, apperr.Validation(fields)
}
