package course

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/enrolment"
)

const msgBadLevel = "Please select a valid course level"

// Errors of the catalog; the repository reports the first four and
// ErrLastLecture too.
var (
	ErrCourseNotFound    = apperr.New(apperr.NotFound, "course_not_found", "Course not found")
	ErrLectureNotFound   = apperr.New(apperr.NotFound, "lecture_not_found", "Lecture not found in this course")
	ErrNoLectures        = apperr.New(apperr.Invalid, "course_without_lectures", "Cannot publish a course without lectures")
	ErrHasStudents       = apperr.New(apperr.Conflict, "course_has_students", "Course has enrolled students; unpublish it instead")
	ErrNotOwner          = apperr.New(apperr.Forbidden, "not_course_owner", "You are not the instructor of this course")
	ErrLastLecture       = apperr.New(apperr.Conflict, "last_lecture", "Cannot remove the last lecture of a published course; unpublish it first")
	ErrThumbnailRequired = apperr.New(apperr.Invalid, "thumbnail_required", "Course thumbnail is required")
	ErrVideoRequired     = apperr.New(apperr.Invalid, "video_required", "Video file is required")
	ErrNoSearchFilter    = apperr.New(apperr.Invalid, "search_filter_required", "Please provide at least one search filter")
	ErrNothingToUpdate   = apperr.New(apperr.Invalid, "nothing_to_update", "Nothing to update")
)

// Limits of listings and of text filters.
const (
	DefaultLimit   = 10
	MaxLimit       = 100
	maxFilterChars = 100
	maxPrice       = 1_000_000
)

// Deps are the collaborators of a Service.
type Deps struct {
	Repo        Repository
	Entitlement Entitlement
	Progress    ProgressCleaner
	Media       MediaRemover
	// CacheTTL is how long a course read for display may be reused (0:
	// never); see cache.
	CacheTTL time.Duration
	Now      func() time.Time // time.Now when nil
}

// Service runs the catalog use cases.
type Service struct {
	d     Deps
	cache *cache
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d, cache: newCache(d.CacheTTL, d.Now)}
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// Input is the content of a course, as given to Create and Update; nil
// fields are absent from the request.
type Input struct {
	Title, Subtitle, Description, Category, Level *string
	Price                                         *float64
	Thumbnail                                     *string // storage key of an uploaded image
}

// Form reads a request's course fields and stores its upload, if any. The
// service calls it only once the caller's right to make the change is
// checked, so that nobody else's upload ever reaches storage.
type Form func() (Input, error)

// LectureForm is Form for a lecture.
type LectureForm func() (LectureInput, error)

// Create adds a draft course owned by the caller. A thumbnail is required.
// The uploaded thumbnail is removed when the course cannot be created.
func (s *Service) Create(ctx context.Context, v Viewer, read Form) (c *Course, err error) {
	in, err := read()
	if err != nil {
		return nil, err
	}
	defer s.removeOnError(ctx, &err, &in.Thumbnail)
	ch, err := validate(in, true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c = &Course{
		Title: *ch.Title, Subtitle: deref(ch.Subtitle), Description: deref(ch.Description),
		Category: *ch.Category, Level: LevelBeginner, Price: *ch.Price, Thumbnail: *ch.Thumbnail,
		InstructorID: v.UserID, LectureIDs: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	if ch.Level != nil {
		c.Level = *ch.Level
	}
	if err := s.d.Repo.Create(ctx, c); err != nil {
		return nil, fmt.Errorf("create course: %w", err)
	}
	return c, nil
}

// editable returns the course if the caller may change it: its instructor
// or an admin.
func (s *Service) editable(ctx context.Context, v Viewer, courseID string) (*Course, error) {
	c, err := s.d.Repo.ByID(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if !enrolment.Owns(v, c.InstructorID) {
		return nil, ErrNotOwner
	}
	return c, nil
}

// Update changes a course the caller may edit. A replaced thumbnail is
// removed from storage.
func (s *Service) Update(ctx context.Context, v Viewer, courseID string, read Form) (c *Course, err error) {
	if _, err := s.editable(ctx, v, courseID); err != nil {
		return nil, err
	}
	in, err := read()
	if err != nil {
		return nil, err
	}
	defer s.removeOnError(ctx, &err, &in.Thumbnail)
	if in == (Input{}) {
		return nil, ErrNothingToUpdate
	}
	ch, err := validate(in, false)
	if err != nil {
		return nil, err
	}
	defer s.cache.drop(courseID)
	before, after, err := s.d.Repo.Update(ctx, courseID, ch, s.now())
	if err != nil {
		return nil, err
	}
	if ch.Thumbnail != nil && before.Thumbnail != *ch.Thumbnail {
		s.d.Media.Remove(ctx, before.Thumbnail)
	}
	return after, nil
}

// SetPublished publishes or unpublishes a course; nil toggles. A course
// needs a lecture to be published.
func (s *Service) SetPublished(ctx context.Context, v Viewer, courseID string, published *bool) (*Course, error) {
	c, err := s.editable(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	want := !c.IsPublished
	if published != nil {
		want = *published
	}
	if want && c.TotalLectures == 0 {
		return nil, ErrNoLectures
	}
	defer s.cache.drop(courseID)
	return s.d.Repo.SetPublished(ctx, courseID, want, s.now())
}

// Delete removes a course nobody is enrolled in, with its lectures, media
// and progress records.
func (s *Service) Delete(ctx context.Context, v Viewer, courseID string) error {
	c, err := s.editable(ctx, v, courseID)
	if err != nil {
		return err
	}
	defer s.cache.drop(courseID)
	if err := s.d.Repo.Delete(ctx, courseID); err != nil {
		return err
	}
	lectures, err := s.d.Repo.DeleteLectures(ctx, courseID)
	if err != nil {
		return fmt.Errorf("delete lectures: %w", err)
	}
	if err := s.d.Progress.DeleteByCourse(ctx, courseID); err != nil {
		return fmt.Errorf("delete progress: %w", err)
	}
	s.d.Media.Remove(ctx, c.Thumbnail)
	for i := range lectures {
		s.removeLectureMedia(ctx, &lectures[i])
	}
	return nil
}

// Detail is a course page: the course, its instructor and its lectures,
// each marked with whether the viewer may watch it.
type Detail struct {
	Course     *Course
	Instructor Instructor
	Lectures   []Lecture
	CanWatch   []bool // by index of Lectures
}

// Detail returns a course page. A draft is visible only to its instructor
// and admins.
func (s *Service) Detail(ctx context.Context, v Viewer, courseID string) (*Detail, error) {
	c, lectures, canWatch, err := s.withLectures(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	instructors, err := s.d.Repo.Instructors(ctx, []string{c.InstructorID})
	if err != nil {
		return nil, fmt.Errorf("instructor: %w", err)
	}
	return &Detail{Course: c, Instructor: instructors[c.InstructorID], Lectures: lectures, CanWatch: canWatch}, nil
}

// Visible returns a course if the viewer may see it: published, or their
// own draft, or any course for admins, or a course they are enrolled in
// (students keep what they bought when it is unpublished). Otherwise it is
// not found.
func (s *Service) Visible(ctx context.Context, v Viewer, courseID string) (*Course, error) {
	c, _, err := s.open(ctx, v, courseID, false)
	return c, err
}

// Lectures returns a visible course's lectures, with who may watch which.
func (s *Service) Lectures(ctx context.Context, v Viewer, courseID string) ([]Lecture, []bool, error) {
	_, lectures, canWatch, err := s.withLectures(ctx, v, courseID)
	return lectures, canWatch, err
}

// Lecture returns a lecture of a course, as stored; the caller has checked
// that the viewer may see the course.
func (s *Service) Lecture(ctx context.Context, courseID, lectureID string) (*Lecture, error) {
	return s.d.Repo.Lecture(ctx, courseID, lectureID)
}

// open returns a course the viewer may see and, when asked or when the
// course is a draft, whether they may watch all its lectures (the one
// enrolment read both questions need).
func (s *Service) open(ctx context.Context, v Viewer, courseID string, needWatch bool) (*Course, bool, error) {
	c, err := s.cache.course(ctx, courseID, s.d.Repo.ByID)
	if err != nil {
		return nil, false, err
	}
	var all bool
	if needWatch || !c.IsPublished {
		if all, err = s.watchesAll(ctx, v, c); err != nil {
			return nil, false, err
		}
	}
	if !c.IsPublished && !all {
		return nil, false, ErrCourseNotFound
	}
	return c, all, nil
}

// withLectures returns a visible course with its lectures, each marked with
// whether the viewer may watch it.
func (s *Service) withLectures(ctx context.Context, v Viewer, courseID string) (*Course, []Lecture, []bool, error) {
	c, all, err := s.open(ctx, v, courseID, true)
	if err != nil {
		return nil, nil, nil, err
	}
	lectures, err := s.d.Repo.Lectures(ctx, c.ID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lectures: %w", err)
	}
	canWatch := make([]bool, len(lectures))
	for i, l := range lectures {
		canWatch[i] = all || l.IsPreview
	}
	return c, lectures, canWatch, nil
}

// Forget drops a course from the cache after a change made outside the
// catalog (its rating), so that this instance's pages show it at once.
func (s *Service) Forget(courseID string) { s.cache.drop(courseID) }

// watchesAll reports whether the viewer may watch every lecture: whether
// they are entitled to the course.
func (s *Service) watchesAll(ctx context.Context, v Viewer, c *Course) (bool, error) {
	return s.d.Entitlement.Entitled(ctx, v, c.ID, c.InstructorID)
}

// Listed is a course of a listing, with its instructor.
type Listed struct {
	Course
	Instructor Instructor
}

// Page is one page of a listing.
type Page struct {
	Courses []Listed
	Total   int64
	Page    int
	Limit   int
}

// Pages is the number of pages.
func (p Page) Pages() int64 {
	return (p.Total + int64(p.Limit) - 1) / int64(p.Limit)
}

// Published lists published courses, newest first.
func (s *Service) Published(ctx context.Context, page, limit int) (*Page, error) {
	return s.find(ctx, Query{PublishedOnly: true, Sort: SortNewest, Page: page, Limit: limit})
}

// ByInstructor lists the caller's own courses, drafts included.
func (s *Service) ByInstructor(ctx context.Context, v Viewer, page, limit int) (*Page, error) {
	return s.find(ctx, Query{InstructorID: v.UserID, Sort: SortNewest, Page: page, Limit: limit})
}

// Search lists published courses matching the filters; at least one filter
// is required.
func (s *Service) Search(ctx context.Context, q Query) (*Page, error) {
	q.PublishedOnly, q.InstructorID = true, ""
	q.Text, q.Title, q.Category = strings.TrimSpace(q.Text), strings.TrimSpace(q.Title), strings.TrimSpace(q.Category)
	var fields []apperr.FieldError
	for _, f := range []struct{ name, value string }{{"query", q.Text}, {"title", q.Title}, {"category", q.Category}} {
		switch {
		case !utf8.ValidString(f.value):
			// The database cannot match it (its regular expressions
			// reject it) and the snapshot would match U+FFFD instead.
			fields = append(fields, apperr.FieldError{Field: f.name, Message: "must be valid UTF-8 text"})
		case utf8.RuneCountInString(f.value) > maxFilterChars:
			fields = append(fields, apperr.FieldError{Field: f.name, Message: fmt.Sprintf("must be at most %d characters", maxFilterChars)})
		}
	}
	if q.Level != "" && !validLevel(q.Level) {
		fields = append(fields, apperr.FieldError{Field: "level", Message: msgBadLevel})
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		fields = append(fields, apperr.FieldError{Field: "minPrice", Message: "must not exceed maxPrice"})
	}
	if err := apperr.Validation(fields); err != nil {
		return nil, err
	}
	if q.Text == "" && q.Title == "" && q.Category == "" && q.Level == "" && q.MinPrice == nil && q.MaxPrice == nil && q.MinRating == nil {
		return nil, ErrNoSearchFilter
	}
	if q.Sort == "" {
		q.Sort = SortNewest
	}
	return s.find(ctx, q)
}

func (s *Service) find(ctx context.Context, q Query) (*Page, error) {
	if q.PublishedOnly && q.InstructorID == "" {
		entries, ok, err := s.cache.catalog.published(ctx, s.loadPublished, s.d.Repo.CatalogRevision)
		if err != nil {
			return nil, err
		}
		if ok {
			return pageOf(entries, q), nil
		}
	}
	courses, total, err := s.d.Repo.Find(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("find courses: %w", err)
	}
	listed, err := s.withInstructors(ctx, courses)
	if err != nil {
		return nil, err
	}
	return &Page{Courses: listed, Total: total, Page: q.Page, Limit: q.Limit}, nil
}

// Listed returns the courses with these ids, in the order of ids, with
// their instructors; ids of missing courses are skipped. Courses come from
// the course cache, like course pages, and each one not in it is an exact
// _id read (a $in would decode every course on the embedded database).
func (s *Service) Listed(ctx context.Context, ids []string) ([]Listed, error) {
	courses, err := s.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return s.withInstructors(ctx, courses)
}

// byIDs returns the courses with these ids, in the order of ids, skipping
// missing ones, from the course cache or by _id.
func (s *Service) byIDs(ctx context.Context, ids []string) ([]Course, error) {
	courses := make([]Course, 0, len(ids))
	for _, id := range ids {
		c, err := s.cache.course(ctx, id, s.d.Repo.ByID)
		if errors.Is(err, ErrCourseNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("find course: %w", err)
		}
		courses = append(courses, *c)
	}
	return courses, nil
}

// withInstructors adds the instructors of courses with one query.
func (s *Service) withInstructors(ctx context.Context, courses []Course) ([]Listed, error) {
	ids := make([]string, 0, len(courses))
	for _, c := range courses {
		ids = append(ids, c.InstructorID)
	}
	instructors, err := s.d.Repo.Instructors(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("instructors: %w", err)
	}
	out := make([]Listed, len(courses))
	for i, c := range courses {
		out[i] = Listed{Course: c, Instructor: instructors[c.InstructorID]}
	}
	return out, nil
}

// LectureInput is the content of a lecture; nil fields are absent.
type LectureInput struct {
	Title, Description *string
	Order              *int
	IsPreview          *bool
	Video              *string  // storage key of an uploaded video
	Duration           *float64 // of the uploaded video
	// SectionID places the lecture in a section ("" for none). In a course
	// with sections, Order is the lecture's position in its section (or
	// among the unsectioned lectures).
	SectionID *string
}

// AddLecture adds a lecture to a course the caller may edit. The uploaded
// video is removed when the lecture cannot be added.
func (s *Service) AddLecture(ctx context.Context, v Viewer, courseID string, read LectureForm) (l *Lecture, err error) {
	if _, err := s.editable(ctx, v, courseID); err != nil {
		return nil, err
	}
	in, err := read()
	if err != nil {
		return nil, err
	}
	upload := in.Video
	defer s.removeOnError(ctx, &err, &upload)
	ch, err := validateLecture(in, true)
	if err != nil {
		return nil, err
	}
	// The form may have taken minutes (a video upload): place the lecture
	// by the course's sections as they are now.
	c, err := s.editable(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if err := checkSection(c, in.SectionID); err != nil {
		return nil, err
	}
	now := s.now()
	ctx = writing(ctx)
	defer s.cache.drop(courseID)
	l = &Lecture{
		CourseID: courseID, Title: *ch.Title, Description: deref(ch.Description), Video: *ch.Video,
		Duration: derefFloat(ch.Duration), IsPreview: ch.IsPreview != nil && *ch.IsPreview, Order: *ch.Order,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.d.Repo.AddLecture(ctx, l); err != nil {
		return nil, fmt.Errorf("add lecture: %w", err)
	}
	upload = nil // the lecture refers to it now
	if len(c.Sections) > 0 {
		if err := s.placeLecture(ctx, v, courseID, l.ID, in.SectionID, l.Order); err != nil {
			// Say, its section was deleted meanwhile: the lecture is not
			// added after all, and its video goes with it.
			if rerr := s.removeLecture(ctx, courseID, l.ID); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return nil, err
		}
	}
	ids, err := s.d.Repo.RefreshTotals(ctx, courseID, now)
	if err != nil {
		return nil, fmt.Errorf("course totals: %w", err)
	}
	renumbered(c, l, ids)
	return l, nil
}

// checkSection checks that a lecture's new section, if any, is one of the
// course's.
func checkSection(c *Course, sectionID *string) error {
	if sectionID != nil && *sectionID != "" && c.Curriculum().section(*sectionID) < 0 {
		return ErrSectionNotFound
	}
	return nil
}

// renumbered sets a lecture's order to its place in the course's lecture
// order when the course has sections (which renumbers every lecture).
func renumbered(c *Course, l *Lecture, ids []string) {
	if i := slices.Index(ids, l.ID); len(c.Sections) > 0 && i >= 0 {
		l.Order = i + 1
	}
}

// UpdateLecture changes a lecture of a course the caller may edit; a
// replaced video is removed.
func (s *Service) UpdateLecture(ctx context.Context, v Viewer, courseID, lectureID string, read LectureForm) (l *Lecture, err error) {
	if _, err := s.editable(ctx, v, courseID); err != nil {
		return nil, err
	}
	if _, err := s.d.Repo.Lecture(ctx, courseID, lectureID); err != nil {
		return nil, err
	}
	in, err := read()
	if err != nil {
		return nil, err
	}
	upload := in.Video
	defer s.removeOnError(ctx, &err, &upload)
	if in == (LectureInput{}) {
		return nil, ErrNothingToUpdate
	}
	ch, err := validateLecture(in, false)
	if err != nil {
		return nil, err
	}
	c, err := s.editable(ctx, v, courseID) // as AddLecture
	if err != nil {
		return nil, err
	}
	if err := checkSection(c, in.SectionID); err != nil {
		return nil, err
	}
	now := s.now()
	ctx = writing(ctx)
	defer s.cache.drop(courseID)
	before, after, err := s.d.Repo.UpdateLecture(ctx, courseID, lectureID, ch, now)
	if err != nil {
		return nil, err
	}
	upload = nil // the lecture refers to it now
	if len(c.Sections) > 0 && (in.SectionID != nil || in.Order != nil) {
		if err := s.placeLecture(ctx, v, courseID, lectureID, in.SectionID, derefInt(in.Order)); err != nil {
			return nil, err
		}
	}
	ids, err := s.d.Repo.RefreshTotals(ctx, courseID, now)
	if err != nil {
		return nil, fmt.Errorf("course totals: %w", err)
	}
	renumbered(c, after, ids)
	if ch.Video != nil && before.Video != *ch.Video {
		s.d.Media.Remove(ctx, before.Video)
	}
	return after, nil
}

// DeleteLecture removes a lecture, its video, captions and progress entries. The
// last lecture of a published course stays: a published course always has
// one (unpublish it first).
func (s *Service) DeleteLecture(ctx context.Context, v Viewer, courseID, lectureID string) error {
	if _, err := s.editable(ctx, v, courseID); err != nil {
		return err
	}
	defer s.cache.drop(courseID)
	return s.removeLecture(ctx, courseID, lectureID)
}

// removeLecture deletes a lecture, its video and its progress entries.
func (s *Service) removeLecture(ctx context.Context, courseID, lectureID string) error {
	ctx = writing(ctx)
	l, err := s.d.Repo.DeleteLecture(ctx, courseID, lectureID)
	if err != nil {
		return err
	}
	now := s.now()
	current, err := s.d.Repo.RefreshTotals(ctx, courseID, now)
	if err != nil {
		return fmt.Errorf("course totals: %w", err)
	}
	if err := s.d.Progress.RemoveLecture(ctx, courseID, lectureID, current, now); err != nil {
		return fmt.Errorf("remove lecture progress: %w", err)
	}
	s.removeLectureMedia(ctx, l)
	return nil
}

// writing returns the context for a lecture write and the refresh that
// follows it (RefreshTotals): once the write may have reached the database,
// the refresh must run even if the request ends meanwhile (the client went
// away), or the course's totals and its copy of the lectures — which the
// course page shows, previews and video keys included — would keep the
// lecture as it was until the next lecture write. Each database operation
// keeps the client's own time limit.
func writing(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// removeOnError removes an uploaded file when the operation failed before
// anything referred to it (*key is then still set).
func (s *Service) removeOnError(ctx context.Context, err *error, key **string) {
	if *err != nil && *key != nil {
		s.d.Media.Remove(ctx, **key)
	}
}

func validLevel(l string) bool {
	return l == LevelBeginner || l == LevelIntermediate || l == LevelAdvanced
}

// validate checks course input; create requires the mandatory fields.
func validate(in Input, create bool) (Changes, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	ch := Changes{Price: in.Price, Thumbnail: in.Thumbnail}
	text := func(field string, v *string, max int, required bool) *string {
		if v == nil {
			if required {
				bad(field, fmt.Sprintf("%s is required", label(field)))
			}
			return nil
		}
		t := strings.TrimSpace(*v)
		switch {
		case required && t == "":
			bad(field, fmt.Sprintf("%s is required", label(field)))
		case utf8.RuneCountInString(t) > max:
			bad(field, fmt.Sprintf("%s must be at most %d characters", label(field), max))
		}
		return &t
	}
	ch.Title = text("title", in.Title, 100, create || in.Title != nil)
	ch.Subtitle = text("subtitle", in.Subtitle, 200, false)
	ch.Description = text("description", in.Description, 5000, false)
	ch.Category = text("category", in.Category, 100, create || in.Category != nil)
	if in.Level != nil {
		l := strings.ToLower(strings.TrimSpace(*in.Level))
		if !validLevel(l) {
			bad("level", msgBadLevel)
		}
		ch.Level = &l
	}
	switch {
	case in.Price == nil && create:
		bad("price", "Price is required")
	case in.Price != nil && (math.IsNaN(*in.Price) || *in.Price < 0 || *in.Price > maxPrice):
		bad("price", fmt.Sprintf("Price must be a number from 0 to %d", maxPrice))
	case in.Price != nil:
		if msg := priceProblem(*in.Price); msg != "" {
			bad("price", msg)
		}
	}
	if err := apperr.Validation(fields); err != nil {
		return Changes{}, err
	}
	if create && in.Thumbnail == nil {
		return Changes{}, ErrThumbnailRequired
	}
	return ch, nil
}

// validateLecture checks lecture input; create requires the mandatory fields.
func validateLecture(in LectureInput, create bool) (LectureChanges, error) {
	var fields []apperr.FieldError
	bad := func(field, msg string) { fields = append(fields, apperr.FieldError{Field: field, Message: msg}) }
	ch := LectureChanges{Order: in.Order, IsPreview: in.IsPreview, Video: in.Video, Duration: in.Duration}
	if in.Title != nil || create {
		t := strings.TrimSpace(deref(in.Title))
		switch {
		case t == "":
			bad("title", "Title is required")
		case utf8.RuneCountInString(t) > 100:
			bad("title", "Title must be at most 100 characters")
		}
		ch.Title = &t
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(d) > 500 {
			bad("description", "Description must be at most 500 characters")
		}
		ch.Description = &d
	}
	switch {
	case in.Order == nil && create:
		bad("order", "Order is required")
	case in.Order != nil && (*in.Order < 0 || *in.Order > 100000):
		bad("order", "Order must be a whole number from 0 to 100000")
	}
	if err := apperr.Validation(fields); err != nil {
		return LectureChanges{}, err
	}
	if create && in.Video == nil {
		return LectureChanges{}, ErrVideoRequired
	}
	return ch, nil
}

func label(field string) string {
	return strings.ToUpper(field[:1]) + field[1:]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func derefFloat(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
