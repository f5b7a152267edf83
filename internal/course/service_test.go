package course_test

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
)

// The people of the tests.
var (
	anonymous = course.Viewer{}
	owner     = course.Viewer{UserID: "inst", Role: auth.RoleInstructor}
	otherInst = course.Viewer{UserID: "inst2", Role: auth.RoleInstructor}
	enrolled  = course.Viewer{UserID: "s1", Role: auth.RoleStudent}
	otherStud = course.Viewer{UserID: "s2", Role: auth.RoleStudent}
	admin     = course.Viewer{UserID: "adm", Role: auth.RoleAdmin}
)

const validation = apperr.ValidationMessage

func ptr[T any](v T) *T { return &v }

// field is one expected field error.
func field(name, message string) apperr.FieldError {
	return apperr.FieldError{Field: name, Message: message}
}

// checkErr fails unless err is of kind with this client message and these
// field errors; kind Internal with message "" means no error at all.
func checkErr(t *testing.T, err error, kind apperr.Kind, message string, fields ...apperr.FieldError) {
	t.Helper()
	if kind == apperr.Internal && message == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("err = nil, want kind %v %q %v", kind, message, fields)
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v (%T), want an apperr error", err, err)
	}
	if apperr.KindOf(err) != kind || e.Message != message {
		t.Errorf("err = kind %v %q, want kind %v %q", apperr.KindOf(err), e.Message, kind, message)
	}
	if !slices.Equal(e.Fields, fields) {
		t.Errorf("fields = %v, want %v", e.Fields, fields)
	}
}

// validCourse is a create request that passes validation.
func validCourse() course.Input {
	return course.Input{
		Title: ptr("Go"), Category: ptr("Programming"), Price: ptr(10.0), Thumbnail: ptr("images/new.png"),
	}
}

func TestCreateValidation(t *testing.T) {
	priceMsg := "Price must be a number from 0 to 1000000"
	tests := []struct {
		name    string
		change  func(*course.Input)
		kind    apperr.Kind
		message string
		fields  []apperr.FieldError
	}{
		{name: "valid", change: func(*course.Input) {}},
		{name: "longest texts", change: func(in *course.Input) {
			in.Title, in.Subtitle = ptr(strings.Repeat("é", 100)), ptr(strings.Repeat("é", 200))
			in.Description, in.Category = ptr(strings.Repeat("é", 5000)), ptr(strings.Repeat("é", 100))
		}},
		{name: "title missing", change: func(in *course.Input) { in.Title = nil },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "title blank", change: func(in *course.Input) { in.Title = ptr(" \t ") },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "title too long", change: func(in *course.Input) { in.Title = ptr(strings.Repeat("a", 101)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title must be at most 100 characters")}},
		{name: "subtitle too long", change: func(in *course.Input) { in.Subtitle = ptr(strings.Repeat("a", 201)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("subtitle", "Subtitle must be at most 200 characters")}},
		{name: "description too long", change: func(in *course.Input) { in.Description = ptr(strings.Repeat("a", 5001)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("description", "Description must be at most 5000 characters")}},
		{name: "category missing", change: func(in *course.Input) { in.Category = nil },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("category", "Category is required")}},
		{name: "category blank", change: func(in *course.Input) { in.Category = ptr("  ") },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("category", "Category is required")}},
		{name: "category too long", change: func(in *course.Input) { in.Category = ptr(strings.Repeat("a", 101)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("category", "Category must be at most 100 characters")}},
		{name: "level unknown", change: func(in *course.Input) { in.Level = ptr("expert") },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("level", "Please select a valid course level")}},
		{name: "level empty", change: func(in *course.Input) { in.Level = ptr("") },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("level", "Please select a valid course level")}},
		{name: "level any case", change: func(in *course.Input) { in.Level = ptr(" Advanced ") }},
		{name: "price missing", change: func(in *course.Input) { in.Price = nil },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", "Price is required")}},
		{name: "price zero", change: func(in *course.Input) { in.Price = ptr(0.0) }},
		{name: "price at most", change: func(in *course.Input) { in.Price = ptr(1_000_000.0) }},
		{name: "price negative", change: func(in *course.Input) { in.Price = ptr(-0.01) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", priceMsg)}},
		{name: "price too high", change: func(in *course.Input) { in.Price = ptr(1_000_000.01) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", priceMsg)}},
		{name: "price NaN", change: func(in *course.Input) { in.Price = ptr(math.NaN()) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", priceMsg)}},
		{name: "price infinite", change: func(in *course.Input) { in.Price = ptr(math.Inf(1)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", priceMsg)}},
		{name: "every field at once", change: func(in *course.Input) {
			*in = course.Input{Subtitle: ptr(strings.Repeat("a", 201)), Level: ptr("x"), Thumbnail: in.Thumbnail}
		}, kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{
			field("title", "Title is required"), field("subtitle", "Subtitle must be at most 200 characters"),
			field("category", "Category is required"), field("level", "Please select a valid course level"),
			field("price", "Price is required"),
		}},
		{name: "thumbnail missing", change: func(in *course.Input) { in.Thumbnail = nil },
			kind: apperr.Invalid, message: "Course thumbnail is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			in := validCourse()
			tt.change(&in)
			c, err := f.svc.Create(context.Background(), owner, form(in))
			checkErr(t, err, tt.kind, tt.message, tt.fields...)
			if err != nil {
				if len(f.repo.courses) != 0 {
					t.Errorf("a refused course was stored: %v", f.repo.courses)
				}
				// An upload the course will not refer to is removed.
				var want []string
				if in.Thumbnail != nil {
					want = []string{*in.Thumbnail}
				}
				if got := f.media.keys(); !slices.Equal(got, want) {
					t.Errorf("removed media = %v, want %v", got, want)
				}
				return
			}
			stored, err := f.repo.ByID(context.Background(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.InstructorID != owner.UserID || stored.IsPublished || stored.Thumbnail != *in.Thumbnail {
				t.Errorf("stored %+v: want the caller's draft with its thumbnail", stored)
			}
			if want := strings.TrimSpace(*in.Title); stored.Title != want {
				t.Errorf("title = %q, want %q", stored.Title, want)
			}
			wantLevel := course.LevelBeginner
			if in.Level != nil {
				wantLevel = strings.ToLower(strings.TrimSpace(*in.Level))
			}
			if stored.Level != wantLevel {
				t.Errorf("level = %q, want %q", stored.Level, wantLevel)
			}
			if got := f.media.keys(); len(got) != 0 {
				t.Errorf("removed media %v after a successful create", got)
			}
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	tests := []struct {
		name    string
		in      course.Input
		kind    apperr.Kind
		message string
		fields  []apperr.FieldError
		check   func(*testing.T, *course.Course)
	}{
		{name: "nothing", in: course.Input{}, kind: apperr.Invalid, message: "Nothing to update"},
		{name: "no thumbnail needed", in: course.Input{Title: ptr("  New  ")}, check: func(t *testing.T, c *course.Course) {
			if c.Title != "New" || c.Thumbnail != "images/old.png" {
				t.Errorf("course = %+v, want title New and the old thumbnail", c)
			}
		}},
		{name: "subtitle cleared", in: course.Input{Subtitle: ptr("")}, check: func(t *testing.T, c *course.Course) {
			if c.Subtitle != "" {
				t.Errorf("subtitle = %q, want it cleared", c.Subtitle)
			}
		}},
		{name: "level normalised", in: course.Input{Level: ptr("INTERMEDIATE")}, check: func(t *testing.T, c *course.Course) {
			if c.Level != course.LevelIntermediate {
				t.Errorf("level = %q", c.Level)
			}
		}},
		{name: "title emptied", in: course.Input{Title: ptr("")},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "category emptied", in: course.Input{Category: ptr(" ")},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("category", "Category is required")}},
		{name: "title too long", in: course.Input{Title: ptr(strings.Repeat("a", 101))},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title must be at most 100 characters")}},
		{name: "level unknown", in: course.Input{Level: ptr("pro")},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("level", "Please select a valid course level")}},
		{name: "price NaN", in: course.Input{Price: ptr(math.NaN())},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", "Price must be a number from 0 to 1000000")}},
		{name: "price negative", in: course.Input{Price: ptr(-1.0)},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("price", "Price must be a number from 0 to 1000000")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "Old", Category: "Old cat", Subtitle: "Sub",
				Level: course.LevelBeginner, Price: 5, Thumbnail: "images/old.png"})
			got, err := f.svc.Update(context.Background(), owner, c.ID, form(tt.in))
			checkErr(t, err, tt.kind, tt.message, tt.fields...)
			stored, _ := f.repo.ByID(context.Background(), c.ID)
			if err != nil {
				if stored.Title != "Old" || stored.Price != 5 {
					t.Errorf("a refused update changed the course: %+v", stored)
				}
				return
			}
			tt.check(t, got)
			tt.check(t, stored)
		})
	}
}

func TestUpdateThumbnail(t *testing.T) {
	ctx := context.Background()
	t.Run("replaced thumbnail is removed", func(t *testing.T) {
		f := newFixture()
		c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T", Category: "C", Thumbnail: "images/old.png"})
		if _, err := f.svc.Update(ctx, owner, c.ID, form(course.Input{Thumbnail: ptr("images/new.png")})); err != nil {
			t.Fatal(err)
		}
		if got := f.media.keys(); !slices.Equal(got, []string{"images/old.png"}) {
			t.Errorf("removed %v, want the old thumbnail", got)
		}
	})
	t.Run("refused update removes the upload", func(t *testing.T) {
		f := newFixture()
		c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T", Category: "C", Thumbnail: "images/old.png"})
		_, err := f.svc.Update(ctx, owner, c.ID, form(course.Input{Title: ptr(""), Thumbnail: ptr("images/new.png")}))
		checkErr(t, err, apperr.Invalid, validation, field("title", "Title is required"))
		if got := f.media.keys(); !slices.Equal(got, []string{"images/new.png"}) {
			t.Errorf("removed %v, want the upload", got)
		}
	})
	t.Run("somebody else's course", func(t *testing.T) {
		f := newFixture()
		c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T", Category: "C", Thumbnail: "images/old.png"})
		read := false
		_, err := f.svc.Update(ctx, otherInst, c.ID, func() (course.Input, error) {
			read = true
			return course.Input{Title: ptr("Mine"), Thumbnail: ptr("images/new.png")}, nil
		})
		checkErr(t, err, apperr.Forbidden, "You are not the instructor of this course")
		if read || len(f.media.keys()) != 0 {
			t.Errorf("the upload was read (%v) or media removed (%v) before the ownership check", read, f.media.keys())
		}
	})
	t.Run("missing course", func(t *testing.T) {
		f := newFixture()
		_, err := f.svc.Update(ctx, owner, "nope", form(course.Input{Title: ptr("T")}))
		checkErr(t, err, apperr.NotFound, "Course not found")
	})
}

func TestOnlyOwnersEditAndReadTheirForms(t *testing.T) {
	tests := []struct {
		name   string
		viewer course.Viewer
		ok     bool
	}{
		{"owner", owner, true},
		{"admin", admin, true},
		{"other instructor", otherInst, false},
		{"enrolled student", enrolled, false},
		{"anonymous", anonymous, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})
			if _, err := f.enrolments.Enrol(context.Background(), enrolled.UserID, c.ID); err != nil {
				t.Fatal(err)
			}
			// The form is read only once the caller may edit: nobody
			// else's upload ever reaches storage.
			reads := 0
			_, err := f.svc.Update(context.Background(), tt.viewer, c.ID, func() (course.Input, error) {
				reads++
				return course.Input{Title: ptr("New")}, nil
			})
			if tt.ok {
				checkErr(t, err, apperr.Internal, "")
			} else {
				checkErr(t, err, apperr.Forbidden, "You are not the instructor of this course")
			}
			if want := map[bool]int{true: 1, false: 0}[tt.ok]; reads != want {
				t.Errorf("form read %d times, want %d", reads, want)
			}
		})
	}
}

// validLecture is an add-lecture request that passes validation.
func validLecture() course.LectureInput {
	return course.LectureInput{Title: ptr("Intro"), Order: ptr(1), Video: ptr("videos/new.mp4"), Duration: ptr(12.5)}
}

func TestAddLectureValidation(t *testing.T) {
	orderMsg := "Order must be a whole number from 0 to 100000"
	tests := []struct {
		name    string
		change  func(*course.LectureInput)
		kind    apperr.Kind
		message string
		fields  []apperr.FieldError
	}{
		{name: "valid", change: func(*course.LectureInput) {}},
		{name: "longest texts", change: func(in *course.LectureInput) {
			in.Title, in.Description = ptr(strings.Repeat("ü", 100)), ptr(strings.Repeat("ü", 500))
		}},
		{name: "order zero", change: func(in *course.LectureInput) { in.Order = ptr(0) }},
		{name: "order at most", change: func(in *course.LectureInput) { in.Order = ptr(100000) }},
		{name: "title missing", change: func(in *course.LectureInput) { in.Title = nil },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "title blank", change: func(in *course.LectureInput) { in.Title = ptr("   ") },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "title too long", change: func(in *course.LectureInput) { in.Title = ptr(strings.Repeat("a", 101)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title must be at most 100 characters")}},
		{name: "description too long", change: func(in *course.LectureInput) { in.Description = ptr(strings.Repeat("a", 501)) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("description", "Description must be at most 500 characters")}},
		{name: "order missing", change: func(in *course.LectureInput) { in.Order = nil },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("order", "Order is required")}},
		{name: "order negative", change: func(in *course.LectureInput) { in.Order = ptr(-1) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("order", orderMsg)}},
		{name: "order too high", change: func(in *course.LectureInput) { in.Order = ptr(100001) },
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("order", orderMsg)}},
		{name: "every field at once", change: func(in *course.LectureInput) {
			in.Title, in.Description, in.Order = nil, ptr(strings.Repeat("a", 501)), nil
		}, kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{
			field("title", "Title is required"), field("description", "Description must be at most 500 characters"),
			field("order", "Order is required"),
		}},
		{name: "video missing", change: func(in *course.LectureInput) { in.Video = nil },
			kind: apperr.Invalid, message: "Video file is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})
			in := validLecture()
			tt.change(&in)
			l, err := f.svc.AddLecture(context.Background(), owner, c.ID, lectureForm(in))
			checkErr(t, err, tt.kind, tt.message, tt.fields...)
			stored, _ := f.repo.ByID(context.Background(), c.ID)
			if err != nil {
				if len(f.repo.lectures) != 0 || stored.TotalLectures != 0 {
					t.Errorf("a refused lecture was stored: %v", f.repo.lectures)
				}
				var want []string
				if in.Video != nil {
					want = []string{*in.Video}
				}
				if got := f.media.keys(); !slices.Equal(got, want) {
					t.Errorf("removed media = %v, want %v", got, want)
				}
				return
			}
			if l.CourseID != c.ID || l.Title != strings.TrimSpace(*in.Title) || l.Order != *in.Order || l.Video != *in.Video || l.IsPreview {
				t.Errorf("lecture = %+v, from %+v", l, in)
			}
			if stored.TotalLectures != 1 || !slices.Equal(stored.LectureIDs, []string{l.ID}) || stored.TotalDuration != 12.5 {
				t.Errorf("course totals not refreshed: %+v", stored)
			}
			if got := f.media.keys(); len(got) != 0 {
				t.Errorf("removed media %v after a successful add", got)
			}
		})
	}
}

func TestUpdateLectureValidation(t *testing.T) {
	tests := []struct {
		name    string
		in      course.LectureInput
		kind    apperr.Kind
		message string
		fields  []apperr.FieldError
	}{
		{name: "nothing", in: course.LectureInput{}, kind: apperr.Invalid, message: "Nothing to update"},
		{name: "no video needed", in: course.LectureInput{Title: ptr("New")}},
		{name: "preview only", in: course.LectureInput{IsPreview: ptr(true)}},
		{name: "description cleared", in: course.LectureInput{Description: ptr("")}},
		{name: "title emptied", in: course.LectureInput{Title: ptr(" ")},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("title", "Title is required")}},
		{name: "description too long", in: course.LectureInput{Description: ptr(strings.Repeat("a", 501))},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("description", "Description must be at most 500 characters")}},
		{name: "order negative", in: course.LectureInput{Order: ptr(-5)},
			kind: apperr.Invalid, message: validation, fields: []apperr.FieldError{field("order", "Order must be a whole number from 0 to 100000")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})
			l := f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "Old", Description: "D", Order: 3, Video: "videos/old.mp4"})
			got, err := f.svc.UpdateLecture(context.Background(), owner, c.ID, l.ID, lectureForm(tt.in))
			checkErr(t, err, tt.kind, tt.message, tt.fields...)
			stored, _ := f.repo.Lecture(context.Background(), c.ID, l.ID)
			if err != nil {
				if !reflect.DeepEqual(*stored, *l) {
					t.Errorf("a refused update changed the lecture: %+v", stored)
				}
				return
			}
			want := *l
			if tt.in.Title != nil {
				want.Title = strings.TrimSpace(*tt.in.Title)
			}
			if tt.in.Description != nil {
				want.Description = *tt.in.Description
			}
			if tt.in.IsPreview != nil {
				want.IsPreview = *tt.in.IsPreview
			}
			want.UpdatedAt = got.UpdatedAt
			if !reflect.DeepEqual(*got, want) || !reflect.DeepEqual(*stored, want) {
				t.Errorf("lecture = %+v, stored %+v, want %+v", got, stored, want)
			}
		})
	}
}

func TestUpdateLectureVideo(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})
	l := f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "Old", Order: 1, Video: "videos/old.mp4"})

	_, err := f.svc.UpdateLecture(ctx, owner, c.ID, l.ID, lectureForm(course.LectureInput{Order: ptr(-1), Video: ptr("videos/refused.mp4")}))
	checkErr(t, err, apperr.Invalid, validation, field("order", "Order must be a whole number from 0 to 100000"))
	if _, err := f.svc.UpdateLecture(ctx, owner, c.ID, l.ID, lectureForm(course.LectureInput{Video: ptr("videos/new.mp4"), Duration: ptr(3.0)})); err != nil {
		t.Fatal(err)
	}
	// A missing lecture is refused before the form is read: the upload
	// never reaches storage.
	_, err = f.svc.UpdateLecture(ctx, owner, c.ID, "missing", func() (course.LectureInput, error) {
		t.Error("the form of a missing lecture was read")
		return course.LectureInput{}, nil
	})
	checkErr(t, err, apperr.NotFound, "Lecture not found in this course")

	want := []string{"videos/refused.mp4", "videos/old.mp4"}
	if got := f.media.keys(); !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	if stored, _ := f.repo.ByID(ctx, c.ID); stored.TotalDuration != 3 {
		t.Errorf("totalDuration = %v, want the new video's 3", stored.TotalDuration)
	}
}

// TestVisibility is the matrix of who sees which course page and may watch
// which lecture: a published course is everyone's page, but only those
// entitled to it (owner, admin, enrolled student) watch more than the
// previews; a draft is seen only by those entitled to it.
func TestVisibility(t *testing.T) {
	all, previews := []bool{true, true, true}, []bool{true, false, false}
	tests := []struct {
		viewer    string
		v         course.Viewer
		published []bool // CanWatch of the published course
		draft     []bool // CanWatch of the draft; nil: not found
	}{
		{"anonymous", anonymous, previews, nil},
		{"other student", otherStud, previews, nil},
		{"enrolled student", enrolled, all, all},
		{"instructor owner", owner, all, all},
		{"other instructor", otherInst, previews, nil},
		{"admin", admin, all, all},
	}
	for _, tt := range tests {
		for _, published := range []bool{true, false} {
			want := tt.published
			state := "published"
			if !published {
				want, state = tt.draft, "draft"
			}
			t.Run(state+"/"+tt.viewer, func(t *testing.T) {
				ctx := context.Background()
				f := newFixture()
				f.repo.instructors[owner.UserID] = course.Instructor{ID: owner.UserID, Name: "Ines"}
				c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T", IsPublished: published})
				// Inserted out of order: the page lists them by order.
				f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "second", Order: 2})
				f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "preview", Order: 1, IsPreview: true})
				f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "third", Order: 3})
				other := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "Other", IsPublished: published})
				if _, err := f.enrolments.Enrol(ctx, enrolled.UserID, c.ID); err != nil {
					t.Fatal(err)
				}
				if _, err := f.enrolments.Enrol(ctx, otherStud.UserID, other.ID); err != nil {
					t.Fatal(err)
				}

				d, errDetail := f.svc.Detail(ctx, tt.v, c.ID)
				visible, errVisible := f.svc.Visible(ctx, tt.v, c.ID)
				lectures, canWatch, errLectures := f.svc.Lectures(ctx, tt.v, c.ID)
				if want == nil {
					for name, err := range map[string]error{"Detail": errDetail, "Visible": errVisible, "Lectures": errLectures} {
						t.Run(name, func(t *testing.T) { checkErr(t, err, apperr.NotFound, "Course not found") })
					}
					return
				}
				for _, err := range []error{errDetail, errVisible, errLectures} {
					checkErr(t, err, apperr.Internal, "")
				}
				if visible.ID != c.ID || d.Course.ID != c.ID {
					t.Errorf("Visible = %s, Detail = %s, want %s", visible.ID, d.Course.ID, c.ID)
				}
				if d.Instructor.Name != "Ines" {
					t.Errorf("instructor = %+v", d.Instructor)
				}
				for name, ls := range map[string][]course.Lecture{"Detail": d.Lectures, "Lectures": lectures} {
					var titles []string
					for _, l := range ls {
						titles = append(titles, l.Title)
					}
					if !slices.Equal(titles, []string{"preview", "second", "third"}) {
						t.Errorf("%s lectures = %v, want by order", name, titles)
					}
				}
				if !slices.Equal(d.CanWatch, want) || !slices.Equal(canWatch, want) {
					t.Errorf("CanWatch: Detail %v, Lectures %v, want %v", d.CanWatch, canWatch, want)
				}
			})
		}
	}
}

func TestVisibilityOfMissingCourse(t *testing.T) {
	f := newFixture()
	_, err := f.svc.Visible(context.Background(), admin, "nope")
	checkErr(t, err, apperr.NotFound, "Course not found")
	_, err = f.svc.Detail(context.Background(), admin, "nope")
	checkErr(t, err, apperr.NotFound, "Course not found")
}

func TestPublishRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})

	_, err := f.svc.SetPublished(ctx, owner, c.ID, ptr(true))
	checkErr(t, err, apperr.Invalid, "Cannot publish a course without lectures")
	_, err = f.svc.SetPublished(ctx, otherInst, c.ID, ptr(true))
	checkErr(t, err, apperr.Forbidden, "You are not the instructor of this course")

	l := f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "Only", Order: 1, Video: "videos/only.mp4"})
	got, err := f.svc.SetPublished(ctx, owner, c.ID, nil) // nil toggles
	if err != nil || !got.IsPublished {
		t.Fatalf("toggle a draft: %+v, %v; want it published", got, err)
	}
	// The last lecture of a published course stays; a lecture of another
	// course is not found, whatever this one holds.
	checkErr(t, f.svc.DeleteLecture(ctx, owner, c.ID, l.ID), apperr.Conflict,
		"Cannot remove the last lecture of a published course; unpublish it first")
	checkErr(t, f.svc.DeleteLecture(ctx, owner, c.ID, "elsewhere"), apperr.NotFound, "Lecture not found in this course")
	if got, err = f.svc.SetPublished(ctx, admin, c.ID, ptr(false)); err != nil || got.IsPublished {
		t.Fatalf("admin unpublishes: %+v, %v", got, err)
	}
	checkErr(t, f.svc.DeleteLecture(ctx, owner, c.ID, l.ID), apperr.Internal, "")
	if stored, _ := f.repo.ByID(ctx, c.ID); stored.TotalLectures != 0 {
		t.Errorf("totalLectures = %d after deleting the only lecture", stored.TotalLectures)
	}
	if !slices.Equal(f.media.keys(), []string{"videos/only.mp4"}) || !slices.Equal(f.progress.removedLectures, []string{l.ID}) {
		t.Errorf("removed media %v, progress of lectures %v; want the lecture's", f.media.keys(), f.progress.removedLectures)
	}
}

func TestSearchValidation(t *testing.T) {
	long := strings.Repeat("x", 101)
	tests := []struct {
		name    string
		q       course.Query
		kind    apperr.Kind
		message string
		fields  []apperr.FieldError
	}{
		{name: "text", q: course.Query{Text: "go"}},
		{name: "level only", q: course.Query{Level: course.LevelAdvanced}},
		{name: "price range", q: course.Query{MinPrice: ptr(1.0), MaxPrice: ptr(1.0)}},
		{name: "longest filter", q: course.Query{Title: strings.Repeat("é", 100)}},
		{name: "no filter", q: course.Query{Text: "   "}, kind: apperr.Invalid, message: "Please provide at least one search filter"},
		{name: "filters too long", q: course.Query{Text: long, Title: long, Category: long}, kind: apperr.Invalid, message: validation,
			fields: []apperr.FieldError{
				field("query", "must be at most 100 characters"), field("title", "must be at most 100 characters"),
				field("category", "must be at most 100 characters"),
			}},
		{name: "level unknown", q: course.Query{Level: "expert"}, kind: apperr.Invalid, message: validation,
			fields: []apperr.FieldError{field("level", "Please select a valid course level")}},
		{name: "prices reversed", q: course.Query{MinPrice: ptr(2.0), MaxPrice: ptr(1.0)}, kind: apperr.Invalid, message: validation,
			fields: []apperr.FieldError{field("minPrice", "must not exceed maxPrice")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.repo.put(course.Course{InstructorID: owner.UserID, Title: "Published", IsPublished: true})
			f.repo.put(course.Course{InstructorID: owner.UserID, Title: "Draft"})
			tt.q.Page, tt.q.Limit = 1, course.DefaultLimit
			page, err := f.svc.Search(context.Background(), tt.q)
			checkErr(t, err, tt.kind, tt.message, tt.fields...)
			if err == nil && (page.Total != 1 || page.Courses[0].Title != "Published") {
				t.Errorf("search found %+v, want only the published course (the fake ignores filters)", page.Courses)
			}
		})
	}
}

// form is a request form that holds in.
func form(in course.Input) course.Form {
	return func() (course.Input, error) { return in, nil }
}

// lectureForm is a lecture form that holds in.
func lectureForm(in course.LectureInput) course.LectureForm {
	return func() (course.LectureInput, error) { return in, nil }
}
