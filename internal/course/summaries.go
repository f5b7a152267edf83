package course

import (
	"context"

	"github.com/lms-backend/lms/internal/user"
)

var _ user.Courses = (*Service)(nil)

// Summaries returns the title, thumbnail and description of the courses with
// these ids that exist (a profile's enrolled courses), as Listed finds
// them.
func (s *Service) Summaries(ctx context.Context, ids []string) (map[string]user.CourseSummary, error) {
	courses, err := s.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]user.CourseSummary, len(courses))
	for _, c := range courses {
		out[c.ID] = user.CourseSummary{ID: c.ID, Title: c.Title, Thumbnail: c.Thumbnail, Description: c.Description}
	}
	return out, nil
}

// CountByInstructor counts the courses an instructor owns.
func (s *Service) CountByInstructor(ctx context.Context, instructorID string) (int64, error) {
	return s.d.Repo.CountByInstructor(ctx, instructorID)
}
