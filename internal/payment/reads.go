package payment

import (
	"context"
	"fmt"

	"github.com/lms-backend/lms/internal/course"
)

// PurchaseStatus returns the course page (instructor and gated lectures) as
// the viewer may see it, and whether the viewer owns the course: whether
// they are enrolled, which a completed purchase that was not refunded (free
// enrolments included) makes them.
func (s *Service) PurchaseStatus(ctx context.Context, v course.Viewer, courseID string) (*course.Detail, bool, error) {
	d, err := s.d.Catalog.Detail(ctx, v, courseID)
	if err != nil {
		return nil, false, err
	}
	owned, err := s.d.Enrolments.IsEnrolled(ctx, v.UserID, d.Course.ID)
	if err != nil {
		return nil, false, err
	}
	return d, owned, nil
}

// PurchasedCourses returns the cards of the courses the user owns, newest
// purchase first (a course bought twice appears once, at its newest).
func (s *Service) PurchasedCourses(ctx context.Context, userID string) ([]course.Listed, error) {
	purchases, err := s.d.Repo.Completed(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("read purchases: %w", err)
	}
	ids := make([]string, 0, len(purchases))
	seen := make(map[string]bool, len(purchases))
	for _, p := range purchases {
		if !seen[p.CourseID] {
			seen[p.CourseID] = true
			ids = append(ids, p.CourseID)
		}
	}
	if len(ids) == 0 {
		return []course.Listed{}, nil
	}
	cards, err := s.d.Catalog.Listed(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read courses: %w", err)
	}
	return cards, nil
}
