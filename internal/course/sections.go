package course

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
)

// maxCurriculumTries bounds how often a section or lecture placement is
// recomputed when other changes of the same curriculum keep getting in
// first.
const maxCurriculumTries = 20

// Curriculum returns a course the caller may edit, with its sections and
// curriculum version.
func (s *Service) Curriculum(ctx context.Context, v Viewer, courseID string) (*Course, error) {
	return s.editable(ctx, v, courseID)
}

// changeCurriculum applies change to the curriculum of a course the caller
// may edit and stores the result over the version it read, reading again
// when another change got in first.
func (s *Service) changeCurriculum(ctx context.Context, v Viewer, courseID string, change func(*Course, *Curriculum) error) (*Course, error) {
	for range maxCurriculumTries {
		c, err := s.editable(ctx, v, courseID)
		if err != nil {
			return nil, err
		}
		cu := c.Curriculum()
		if err := change(c, &cu); err != nil {
			return nil, err
		}
		after, err := s.d.Repo.SetCurriculum(writing(ctx), courseID, c.CurriculumVersion, cu, s.now())
		s.cache.drop(courseID)
		if !errors.Is(err, ErrCurriculumChanged) {
			return after, err
		}
	}
	return nil, ErrCurriculumChanged
}

// sectionTitle validates a section title.
func sectionTitle(title string) (string, error) {
	t := strings.TrimSpace(title)
	msg := ""
	switch {
	case t == "":
		msg = "Title is required"
	case utf8.RuneCountInString(t) > 100:
		msg = "Title must be at most 100 characters"
	}
	if msg != "" {
		return "", apperr.Validation([]apperr.FieldError{{Field: "title", Message: msg}})
	}
	return t, nil
}

// AddSection adds an empty section at position order (1-based; nil or
// beyond the end: last) and returns the course and the section's index.
func (s *Service) AddSection(ctx context.Context, v Viewer, courseID, title string, order *int) (*Course, int, error) {
	t, err := sectionTitle(title)
	if err != nil {
		return nil, 0, err
	}
	if order != nil && *order < 1 {
		return nil, 0, apperr.Validation([]apperr.FieldError{{Field: "order", Message: "Order must be a whole number of at least 1"}})
	}
	var at int
	c, err := s.changeCurriculum(ctx, v, courseID, func(_ *Course, cu *Curriculum) error {
		if len(cu.Sections) >= MaxSections {
			return ErrTooManySections
		}
		at = len(cu.Sections)
		if order != nil && *order <= at {
			at = *order - 1
		}
		cu.Sections = slices.Insert(cu.Sections, at, Section{Title: t, LectureIDs: []string{}})
		return nil
	})
	return c, at, err
}

// RenameSection changes a section's title and returns the course and the
// section's index.
func (s *Service) RenameSection(ctx context.Context, v Viewer, courseID, sectionID, title string) (*Course, int, error) {
	t, err := sectionTitle(title)
	if err != nil {
		return nil, 0, err
	}
	var at int
	c, err := s.changeCurriculum(ctx, v, courseID, func(_ *Course, cu *Curriculum) error {
		if at = cu.section(sectionID); at < 0 {
			return ErrSectionNotFound
		}
		cu.Sections[at].Title = t
		return nil
	})
	return c, at, err
}

// DeleteSection removes a section. Its lectures stay, last of the
// unsectioned ones, unless withLectures: then, in a draft only, they are
// deleted as DeleteLecture deletes one (video, progress entries).
func (s *Service) DeleteSection(ctx context.Context, v Viewer, courseID, sectionID string, withLectures bool) error {
	var lectures []string
	_, err := s.changeCurriculum(ctx, v, courseID, func(c *Course, cu *Curriculum) error {
		if withLectures && c.IsPublished {
			return ErrPublishedSection
		}
		i := cu.section(sectionID)
		if i < 0 {
			return ErrSectionNotFound
		}
		lectures = cu.Sections[i].LectureIDs
		cu.Unsectioned = append(cu.Unsectioned, lectures...)
		cu.Sections = slices.Delete(cu.Sections, i, i+1)
		return nil
	})
	if err != nil || !withLectures {
		return err
	}
	// changeCurriculum dropped the course when the curriculum was stored;
	// the lectures go after that, so drop it again once they are gone.
	defer s.cache.drop(courseID)
	for _, id := range lectures {
		if err := s.removeLecture(ctx, courseID, id); err != nil && !errors.Is(err, ErrLectureNotFound) {
			return err
		}
	}
	return nil
}

// Reorder sets the order of a course's sections and of its lectures within
// and across them in one step. want must list every section and lecture of
// the course exactly once (else a validation error naming the offending
// ids) and version must be the course's curriculum version (else
// ErrCurriculumChanged).
func (s *Service) Reorder(ctx context.Context, v Viewer, courseID string, version int64, want Curriculum) (*Course, error) {
	c, err := s.editable(ctx, v, courseID)
	if err != nil {
		return nil, err
	}
	if c.CurriculumVersion != version {
		return nil, ErrCurriculumChanged
	}
	cu, err := c.Curriculum().reorder(want)
	if err != nil {
		return nil, err
	}
	defer s.cache.drop(courseID)
	return s.d.Repo.SetCurriculum(writing(ctx), courseID, version, cu, s.now())
}

// placeLecture moves a lecture to position pos (1-based; 0: last) of a
// section ("" for none; nil: the section it is in).
func (s *Service) placeLecture(ctx context.Context, v Viewer, courseID, lectureID string, sectionID *string, pos int) error {
	_, err := s.changeCurriculum(ctx, v, courseID, func(_ *Course, cu *Curriculum) error {
		if !slices.Contains(cu.Flat(), lectureID) {
			return ErrLectureNotFound
		}
		to := cu.sectionOf(lectureID)
		if sectionID != nil {
			to = *sectionID
		}
		return cu.place(lectureID, to, pos)
	})
	if err != nil {
		return fmt.Errorf("place lecture: %w", err)
	}
	return nil
}
