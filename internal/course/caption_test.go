package course_test

import (
	"context"
	"slices"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

func TestCaptionLanguage(t *testing.T) {
	good := map[string]string{
		"en": "en", "EN": "en", "pt-br": "pt-BR", "zh-hant-tw": "zh-Hant-TW", "sr-Latn": "sr-Latn",
		"es-419": "es-419", "de-CH-1996": "de-CH-1996", "sl-rozaj-biske": "sl-rozaj-biske",
		"en-US-x-twain": "en-US-x-twain", "zh-yue-HK": "zh-yue-HK", "en-a-bbb-x-a-ccc": "en-a-bbb-x-a-ccc",
		"haw": "haw", "ase": "ase",
	}
	for in, want := range good {
		if got, ok := course.Language(in); !ok || got != want {
			t.Errorf("Language(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "e", "en_US", "en-", "-en", "en--US", "12", "en-US-",
		"en-a", "x", "en-x", "pt-BR-", "de-419-DE-", "en US", "en-ÜS", "a1", "en-abcdefghi"} {
		if got, ok := course.Language(bad); ok {
			t.Errorf("Language(%q) = %q, accepted", bad, got)
		}
	}
}

func captionForm(lang, label, key string) course.CaptionForm {
	return func() (course.CaptionInput, error) {
		return course.CaptionInput{Language: &lang, Label: &label, File: &key}, nil
	}
}

func TestSetCaptionReplacesPerLanguage(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	c := f.repo.put(course.Course{InstructorID: owner.UserID, Title: "T"})
	l := f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "L", Order: 1, Video: "videos/v.mp4"})

	if _, err := f.svc.SetCaption(ctx, owner, c.ID, l.ID, captionForm("en", "English", "captions/en1.vtt")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetCaption(ctx, admin, c.ID, l.ID, captionForm("pt-br", " Português ", "captions/pt.vtt")); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.SetCaption(ctx, owner, c.ID, l.ID, captionForm("EN", "English (new)", "captions/en2.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []course.Caption{{"pt-BR", "Português", "captions/pt.vtt"}, {"en", "English (new)", "captions/en2.vtt"}}
	if !slices.Equal(got.Captions, want) {
		t.Errorf("captions %+v, want %+v", got.Captions, want)
	}
	if removed := f.media.keys(); !slices.Equal(removed, []string{"captions/en1.vtt"}) {
		t.Errorf("removed %v, want the replaced English file", removed)
	}

	// Refused uploads: the file goes, nothing changes.
	for name, tt := range map[string]struct {
		viewer course.Viewer
		form   course.CaptionForm
		kind   apperr.Kind
	}{
		"another instructor": {otherInst, captionForm("fr", "Français", "captions/x.vtt"), apperr.Forbidden},
		"a student":          {enrolled, captionForm("fr", "Français", "captions/x.vtt"), apperr.Forbidden},
		"bad language":       {owner, captionForm("français", "Français", "captions/bad-lang.vtt"), apperr.Invalid},
		"no label":           {owner, captionForm("fr", "  ", "captions/no-label.vtt"), apperr.Invalid},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.svc.SetCaption(ctx, tt.viewer, c.ID, l.ID, tt.form)
			if !apperr.Is(err, tt.kind) {
				t.Errorf("err %v, want kind %v", err, tt.kind)
			}
		})
	}
	if removed := f.media.keys(); !slices.Contains(removed, "captions/bad-lang.vtt") || !slices.Contains(removed, "captions/no-label.vtt") {
		t.Errorf("uploads of refused forms left in storage: removed %v", removed)
	}
	noFile := func() (course.CaptionInput, error) {
		return course.CaptionInput{Language: ptr("fr"), Label: ptr("F")}, nil
	}
	if _, err := f.svc.SetCaption(ctx, owner, c.ID, l.ID, noFile); err != course.ErrCaptionFileRequired {
		t.Errorf("no file: %v", err)
	}
	stored, _ := f.repo.Lecture(ctx, c.ID, l.ID)
	if !slices.Equal(stored.Captions, want) {
		t.Errorf("refused uploads changed the captions: %+v", stored.Captions)
	}

	if err := f.svc.RemoveCaption(ctx, owner, c.ID, l.ID, "pt-BR"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveCaption(ctx, owner, c.ID, l.ID, "pt-BR"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("removing it again: %v", err)
	}
	if err := f.svc.RemoveCaption(ctx, otherInst, c.ID, l.ID, "en"); !apperr.Is(err, apperr.Forbidden) {
		t.Errorf("another instructor: %v", err)
	}
	if removed := f.media.keys(); !slices.Contains(removed, "captions/pt.vtt") {
		t.Errorf("removed %v, want the Portuguese file", removed)
	}

	// Deleting the lecture removes its caption files with the video.
	f.repo.putLecture(course.Lecture{CourseID: c.ID, Title: "Other", Order: 2, Video: "videos/w.mp4"})
	if err := f.svc.DeleteLecture(ctx, owner, c.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	if removed := f.media.keys(); !slices.Contains(removed, "captions/en2.vtt") || !slices.Contains(removed, "videos/v.mp4") {
		t.Errorf("after deleting the lecture, removed %v", removed)
	}
}
