package course

import (
	"context"
	"errors"
	"fmt"

	"github.com/lms-backend/lms/internal/user"
)

var _ user.Courses = (*Service)(nil)

// Summaries returns the title, thumbnail and description of the courses with
// these ids that exist (a profile's enrolled courses). They come from the
// course cache, like course pages; a course not in it is one exact _id read,
// which the embedded database answers without decoding every course (a $in
// would read them all).
func (s *Service) Summaries(ctx context.Context, ids []string) (map[string]user.CourseSummary, error) {
	out := make(map[string]user.CourseSummary, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done {
			continue
		}
		c, err := s.cache.course(ctx, id, s.d.Repo.ByID)
		if errors.Is(err, ErrCourseNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("course %s: %w", id, err)
		}
		out[id] = user.CourseSummary{ID: c.ID, Title: c.Title, Thumbnail: c.Thumbnail, Description: c.Description}
	}
	return out, nil
}

// CountByInstructor counts the courses an instructor owns.
func (s *Service) CountByInstructor(ctx context.Context, instructorID string) (int64, error) {
	return s.d.Repo.CountByInstructor(ctx, instructorID)
}
