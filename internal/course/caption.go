package course

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
)

// Caption is one caption track of a lecture; a lecture has at most one per
// language.
type Caption struct {
	Language string // a well-formed BCP 47 tag in its conventional case, e.g. "pt-BR"
	Label    string // what a player's menu shows, e.g. "Português (Brasil)"
	Key      string // storage key of the WebVTT file
}

// Errors of the caption use cases.
var (
	ErrCaptionNotFound     = apperr.New(apperr.NotFound, "caption_not_found", "No captions in this language")
	ErrCaptionFileRequired = apperr.New(apperr.Invalid, "caption_file_required", "Caption file is required")
)

// maxLabelChars bounds a caption track's label.
const maxLabelChars = 50

// CaptionInput is a caption upload; nil fields are absent.
type CaptionInput struct {
	Language, Label *string
	File            *string // storage key of the uploaded WebVTT file
}

// CaptionForm reads a caption upload and stores its file; like Form, the
// service calls it only once the caller may make the change.
type CaptionForm func() (CaptionInput, error)

// langTag is the langtag production of RFC 5646 (§2.1), matched without
// regard to case: language (with up to three extended subtags), script,
// region, variants, extensions and a private use part.
var langTag = regexp.MustCompile(`^(?i:([a-z]{2,3}(-[a-z]{3}){0,3}|[a-z]{4,8})` +
	`(-[a-z]{4})?(-([a-z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*` +
	`(-[0-9a-wyz](-[a-z0-9]{2,8})+)*(-x(-[a-z0-9]{1,8})+)?)$`)

// Language returns tag, a BCP 47 language tag, in its conventional case
// (language lower, script title, region upper: "pt-BR", "zh-Hant-TW"), or
// false when it is not well formed.
func Language(tag string) (string, bool) {
	if len(tag) > 64 || !langTag.MatchString(tag) {
		return "", false
	}
	subtags := strings.Split(strings.ToLower(tag), "-")
	for i, s := range subtags[1:] {
		if len(s) == 1 {
			break // an extension or private use: lower case throughout
		}
		switch {
		case len(s) == 2:
			subtags[i+1] = strings.ToUpper(s)
		case len(s) == 4 && s[0] >= 'a':
			subtags[i+1] = strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return strings.Join(subtags, "-"), true
}

// validateCaption checks a caption upload.
func validateCaption(in CaptionInput) (Caption, error) {
	var fields []apperr.FieldError
	var c Caption
	if in.Language == nil {
		fields = append(fields, apperr.FieldError{Field: "language", Message: "Language is required"})
	} else if lang, ok := Language(strings.TrimSpace(*in.Language)); ok {
		c.Language = lang
	} else {
		fields = append(fields, apperr.FieldError{Field: "language", Message: "Language must be a BCP 47 language tag, such as en or pt-BR"})
	}
	label := strings.TrimSpace(deref(in.Label))
	switch {
	case label == "":
		fields = append(fields, apperr.FieldError{Field: "label", Message: "Label is required"})
	case utf8.RuneCountInString(label) > maxLabelChars:
		fields = append(fields, apperr.FieldError{Field: "label", Message: fmt.Sprintf("Label must be at most %d characters", maxLabelChars)})
	}
	c.Label = label
	if err := apperr.Validation(fields); err != nil {
		return Caption{}, err
	}
	if in.File == nil {
		return Caption{}, ErrCaptionFileRequired
	}
	c.Key = *in.File
	return c, nil
}

// SetCaption adds a caption track to a lecture of a course the caller may
// edit, replacing its track of the same language (whose file is removed).
// The uploaded file is removed when the track cannot be stored.
func (s *Service) SetCaption(ctx context.Context, v Viewer, courseID, lectureID string, read CaptionForm) (l *Lecture, err error) {
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
	upload := in.File
	defer s.removeOnError(ctx, &err, &upload)
	c, err := validateCaption(in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ctx = writing(ctx)
	defer s.cache.drop(courseID)
	replaced, err := s.d.Repo.SetCaption(ctx, courseID, lectureID, c, now)
	for _, key := range replaced { // no longer referred to, even on error
		s.d.Media.Remove(ctx, key)
	}
	if err != nil {
		if len(replaced) > 0 { // the lecture changed all the same
			err = errors.Join(err, s.captionsChanged(ctx, courseID, now))
		}
		return nil, err
	}
	upload = nil // the lecture refers to it now
	if err := s.captionsChanged(ctx, courseID, now); err != nil {
		return nil, err
	}
	return s.d.Repo.Lecture(ctx, courseID, lectureID)
}

// captionsChanged refreshes the course after a lecture's captions changed,
// as after every lecture write: its copy of the lectures shows them.
func (s *Service) captionsChanged(ctx context.Context, courseID string, now time.Time) error {
	if _, err := s.d.Repo.RefreshTotals(ctx, courseID, now); err != nil {
		return fmt.Errorf("course totals: %w", err)
	}
	return nil
}

// RemoveCaption removes a lecture's caption track of a language, and its
// file, from a course the caller may edit.
func (s *Service) RemoveCaption(ctx context.Context, v Viewer, courseID, lectureID, language string) error {
	if _, err := s.editable(ctx, v, courseID); err != nil {
		return err
	}
	lang, ok := Language(language)
	if !ok {
		return ErrCaptionNotFound
	}
	now := s.now()
	ctx = writing(ctx)
	defer s.cache.drop(courseID)
	c, err := s.d.Repo.RemoveCaption(ctx, courseID, lectureID, lang, now)
	if err != nil {
		return err
	}
	s.d.Media.Remove(ctx, c.Key)
	return s.captionsChanged(ctx, courseID, now)
}

// removeLectureMedia removes a deleted lecture's video and caption files.
func (s *Service) removeLectureMedia(ctx context.Context, l *Lecture) {
	s.d.Media.Remove(ctx, l.Video)
	for _, c := range l.Captions {
		s.d.Media.Remove(ctx, c.Key)
	}
}
