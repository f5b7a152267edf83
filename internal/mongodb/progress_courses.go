package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/progress"
)

// What the progress repository reads of the catalog: the course's current
// lectures, straight from the lectures collection (the source of truth; the
// course's own lecture list is derived from it).

// CourseLectures returns the ids of the course's lectures by order, or
// progress.ErrCourseNotFound.
func (r *ProgressRepo) CourseLectures(ctx context.Context, courseID string) ([]string, error) {
	cid, err := objectID(courseID)
	if err != nil {
		return nil, progress.ErrCourseNotFound
	}
	ids, err := r.lectureIDs(ctx, cid)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	// Only a course without lectures costs a second read.
	n, err := r.courses.CountDocuments(ctx, bson.M{"_id": cid}, options.Count().SetLimit(1))
	if err != nil {
		return nil, fmt.Errorf("find course: %w", err)
	}
	if n == 0 {
		return nil, progress.ErrCourseNotFound
	}
	return ids, nil
}

// lectureIDs reads the ids of a course's lectures by order (ties by id, so
// the order is stable). It is never nil.
func (r *ProgressRepo) lectureIDs(ctx context.Context, courseID primitive.ObjectID) ([]string, error) {
	cur, err := r.lectures.Find(ctx, bson.M{"course": courseID}, options.Find().
		SetProjection(bson.M{"_id": 1}).
		SetSort(bson.D{{Key: "order", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find lectures: %w", err)
	}
	var docs []struct {
		ID primitive.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read lectures: %w", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID.Hex()
	}
	return ids, nil
}
