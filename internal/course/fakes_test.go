package course_test

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
)

// fakeRepo is an in-memory course.Repository: enough of one for the
// service's rules, none of the database's.
type fakeRepo struct {
	mu          sync.Mutex
	courses     map[string]*course.Course
	lectures    map[string]*course.Lecture
	instructors map[string]course.Instructor
	next        int
	revision    int64
}

var _ course.Repository = (*fakeRepo)(nil)

func newFakeRepo() *fakeRepo {
	return &fakeRepo{
		courses:     map[string]*course.Course{},
		lectures:    map[string]*course.Lecture{},
		instructors: map[string]course.Instructor{},
	}
}

func (f *fakeRepo) id(prefix string) string {
	f.next++
	return prefix + strconv.Itoa(f.next)
}

// put stores a course as given (with a fresh id when it has none).
func (f *fakeRepo) put(c course.Course) *course.Course {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ID == "" {
		c.ID = f.id("c")
	}
	f.courses[c.ID] = &c
	return &c
}

// putLecture stores a lecture as given and refreshes its course's totals.
func (f *fakeRepo) putLecture(l course.Lecture) *course.Lecture {
	f.mu.Lock()
	if l.ID == "" {
		l.ID = f.id("l")
	}
	f.lectures[l.ID] = &l
	f.mu.Unlock()
	if _, err := f.RefreshTotals(context.Background(), l.CourseID, time.Time{}); err != nil {
		panic(err)
	}
	return &l
}

func (f *fakeRepo) Create(_ context.Context, c *course.Course) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.ID = f.id("c")
	cp := *c
	f.courses[c.ID] = &cp
	return nil
}

func (f *fakeRepo) ByID(_ context.Context, id string) (*course.Course, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.courses[id]
	if !ok {
		return nil, course.ErrCourseNotFound
	}
	cp := *c
	return &cp, nil
}

func (f *fakeRepo) Update(_ context.Context, id string, ch course.Changes, now time.Time) (before, after *course.Course, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.courses[id]
	if !ok {
		return nil, nil, course.ErrCourseNotFound
	}
	b := *c
	setIf(&c.Title, ch.Title)
	setIf(&c.Subtitle, ch.Subtitle)
	setIf(&c.Description, ch.Description)
	setIf(&c.Category, ch.Category)
	setIf(&c.Level, ch.Level)
	setIf(&c.Thumbnail, ch.Thumbnail)
	setIf(&c.Price, ch.Price)
	c.UpdatedAt = now
	a := *c
	return &b, &a, nil
}

// setIf sets *dst to *v when v is not nil, as an update's changes do.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (f *fakeRepo) SetPublished(_ context.Context, id string, published bool, now time.Time) (*course.Course, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.courses[id]
	if !ok {
		return nil, course.ErrCourseNotFound
	}
	c.IsPublished, c.UpdatedAt = published, now
	cp := *c
	return &cp, nil
}

func (f *fakeRepo) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.courses[id]; !ok {
		return course.ErrCourseNotFound
	}
	delete(f.courses, id)
	return nil
}

func (f *fakeRepo) Find(_ context.Context, q course.Query) ([]course.Course, int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []course.Course
	for _, c := range f.courses {
		if (!q.PublishedOnly || c.IsPublished) && (q.InstructorID == "" || c.InstructorID == q.InstructorID) {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, int64(len(out)), nil
}

func (f *fakeRepo) Published(ctx context.Context, limit int) ([]course.Course, error) {
	out, _, err := f.Find(ctx, course.Query{PublishedOnly: true})
	return out[:min(limit, len(out))], err
}

func (f *fakeRepo) Instructors(_ context.Context, ids []string) (map[string]course.Instructor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]course.Instructor{}
	for _, id := range ids {
		if in, ok := f.instructors[id]; ok {
			out[id] = in
		}
	}
	return out, nil
}

// CatalogRevision changes at every call: the fake's catalog always looks
// changed, so a snapshot over it is read again whenever its TTL is up.
func (f *fakeRepo) CatalogRevision(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revision++
	return f.revision, nil
}

func (f *fakeRepo) CountByInstructor(_ context.Context, instructorID string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, c := range f.courses {
		if c.InstructorID == instructorID {
			n++
		}
	}
	return n, nil
}

func (f *fakeRepo) AddLecture(_ context.Context, l *course.Lecture) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l.ID = f.id("l")
	cp := *l
	f.lectures[l.ID] = &cp
	return nil
}

// sorted returns a course's lectures by order, then id; f.mu is held.
func (f *fakeRepo) sorted(courseID string) []course.Lecture {
	var out []course.Lecture
	for _, l := range f.lectures {
		if l.CourseID == courseID {
			out = append(out, *l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Order != out[j].Order {
			return out[i].Order < out[j].Order
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (f *fakeRepo) Lectures(_ context.Context, courseID string) ([]course.Lecture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sorted(courseID), nil
}

func (f *fakeRepo) Lecture(_ context.Context, courseID, lectureID string) (*course.Lecture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lectures[lectureID]
	if !ok || l.CourseID != courseID {
		return nil, course.ErrLectureNotFound
	}
	cp := *l
	return &cp, nil
}

func (f *fakeRepo) UpdateLecture(_ context.Context, courseID, lectureID string, ch course.LectureChanges, now time.Time) (before, after *course.Lecture, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lectures[lectureID]
	if !ok || l.CourseID != courseID {
		return nil, nil, course.ErrLectureNotFound
	}
	b := *l
	setIf(&l.Title, ch.Title)
	setIf(&l.Description, ch.Description)
	setIf(&l.Order, ch.Order)
	setIf(&l.IsPreview, ch.IsPreview)
	setIf(&l.Video, ch.Video)
	setIf(&l.Duration, ch.Duration)
	l.UpdatedAt = now
	a := *l
	return &b, &a, nil
}

func (f *fakeRepo) DeleteLecture(_ context.Context, courseID, lectureID string) (*course.Lecture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lectures[lectureID]
	if !ok || l.CourseID != courseID {
		return nil, course.ErrLectureNotFound
	}
	if c := f.courses[courseID]; c.IsPublished && len(f.sorted(courseID)) <= 1 {
		return nil, course.ErrLastLecture
	}
	delete(f.lectures, lectureID)
	return l, nil
}

func (f *fakeRepo) SetCaption(_ context.Context, courseID, lectureID string, c course.Caption, now time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lectures[lectureID]
	if !ok || l.CourseID != courseID {
		return nil, course.ErrLectureNotFound
	}
	var replaced []string
	l.Captions = slices.DeleteFunc(slices.Clone(l.Captions), func(old course.Caption) bool {
		if old.Language == c.Language {
			replaced = append(replaced, old.Key)
			return true
		}
		return false
	})
	l.Captions = append(l.Captions, c)
	l.UpdatedAt = now
	return replaced, nil
}

func (f *fakeRepo) RemoveCaption(_ context.Context, courseID, lectureID, language string, now time.Time) (*course.Caption, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.lectures[lectureID]
	if !ok || l.CourseID != courseID {
		return nil, course.ErrLectureNotFound
	}
	i := slices.IndexFunc(l.Captions, func(c course.Caption) bool { return c.Language == language })
	if i < 0 {
		return nil, course.ErrCaptionNotFound
	}
	c := l.Captions[i]
	l.Captions = slices.Delete(slices.Clone(l.Captions), i, i+1)
	l.UpdatedAt = now
	return &c, nil
}

func (f *fakeRepo) DeleteLectures(_ context.Context, courseID string) ([]course.Lecture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sorted(courseID)
	for _, l := range out {
		delete(f.lectures, l.ID)
	}
	return out, nil
}

func (f *fakeRepo) RefreshTotals(_ context.Context, courseID string, now time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.courses[courseID]
	if !ok {
		return nil, course.ErrCourseNotFound
	}
	ls := f.sorted(courseID)
	ids := make([]string, len(ls))
	var total float64
	for i, l := range ls {
		ids[i] = l.ID
		total += l.Duration
	}
	c.LectureIDs, c.TotalLectures, c.TotalDuration, c.UpdatedAt = ids, len(ids), total, now
	return slices.Clone(ids), nil
}

// fakeEnrolments is an in-memory enrolment.Repository, so that the tests
// ask the real entitlement rule.
type fakeEnrolments struct {
	mu       sync.Mutex
	enrolled map[string]bool // user + "/" + course
}

var _ enrolment.Repository = (*fakeEnrolments)(nil)

func (f *fakeEnrolments) Enrol(_ context.Context, userID, courseID string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enrolled == nil {
		f.enrolled = map[string]bool{}
	}
	k := userID + "/" + courseID
	added := !f.enrolled[k]
	f.enrolled[k] = true
	return added, nil
}

func (f *fakeEnrolments) Unenrol(_ context.Context, userID, courseID string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := userID + "/" + courseID
	removed := f.enrolled[k]
	delete(f.enrolled, k)
	return removed, nil
}

func (f *fakeEnrolments) IsEnrolled(_ context.Context, userID, courseID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.enrolled[userID+"/"+courseID], nil
}

func (f *fakeEnrolments) ByUser(context.Context, string) ([]enrolment.Enrolment, error) {
	return nil, nil
}

// fakeProgress records what the service asked to clean.
type fakeProgress struct {
	mu               sync.Mutex
	removedLectures  []string
	deletedByCourses []string
}

func (f *fakeProgress) RemoveLecture(_ context.Context, _, lectureID string, _ []string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removedLectures = append(f.removedLectures, lectureID)
	return nil
}

func (f *fakeProgress) DeleteByCourse(_ context.Context, courseID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletedByCourses = append(f.deletedByCourses, courseID)
	return nil
}

// fakeMedia records the keys the service removed.
type fakeMedia struct {
	mu      sync.Mutex
	removed []string
}

func (f *fakeMedia) Remove(_ context.Context, key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, key)
}

func (f *fakeMedia) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.removed)
}

// fixture is a course service over fakes.
type fixture struct {
	svc        *course.Service
	repo       *fakeRepo
	enrolments *enrolment.Service
	progress   *fakeProgress
	media      *fakeMedia
}

func newFixture() *fixture {
	f := &fixture{repo: newFakeRepo(), progress: &fakeProgress{}, media: &fakeMedia{}}
	f.enrolments = enrolment.NewService(enrolment.Deps{Repo: &fakeEnrolments{}})
	f.svc = course.NewService(course.Deps{
		Repo: f.repo, Entitlement: f.enrolments, Progress: f.progress, Media: f.media,
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
	})
	return f
}

func (f *fakeRepo) SetCurriculum(_ context.Context, courseID string, version int64, cu course.Curriculum, now time.Time) (*course.Course, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.courses[courseID]
	if !ok {
		return nil, course.ErrCourseNotFound
	}
	if c.CurriculumVersion != version {
		return nil, course.ErrCurriculumChanged
	}
	for i := range cu.Sections {
		if cu.Sections[i].ID == "" {
			cu.Sections[i].ID = f.id("s")
		}
	}
	c.Sections, c.LectureIDs, c.CurriculumVersion, c.UpdatedAt = cu.Sections, cu.Flat(), version+1, now
	for i, id := range c.LectureIDs {
		f.lectures[id].Order = i + 1
	}
	cp := *c
	return &cp, nil
}
