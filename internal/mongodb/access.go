package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/course"
)

var _ course.Access = (*UserRepo)(nil)

// IsEnrolled reports whether the user's enrolledCourses holds the course.
func (r *UserRepo) IsEnrolled(ctx context.Context, userID, courseID string) (bool, error) {
	uid, err := objectID(userID)
	if err != nil {
		return false, nil
	}
	cid, err := objectID(courseID)
	if err != nil {
		return false, nil
	}
	n, err := r.c.CountDocuments(ctx, bson.M{"_id": uid, "enrolledCourses.course": cid})
	if err != nil {
		return false, fmt.Errorf("check enrolment: %w", err)
	}
	return n > 0, nil
}
