package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
)

var errLectureNotFound = apperr.New(apperr.NotFound, "lecture not found")

// lectureOrder sorts lectures by order, then by creation.
var lectureOrder = bson.D{{Key: "order", Value: 1}, {Key: "_id", Value: 1}}

// AddLecture inserts a lecture and sets its ID.
func (r *CourseRepo) AddLecture(ctx context.Context, l *course.Lecture) error {
	courseID, err := objectID(l.CourseID)
	if err != nil {
		return err
	}
	doc := lectureDoc{
		ID: primitive.NewObjectID(), Course: courseID, Title: l.Title, Description: l.Description, Video: l.Video,
		Duration: l.Duration, IsPreview: l.IsPreview, Order: l.Order, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if _, err := r.lectures.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("insert lecture: %w", err)
	}
	l.ID = doc.ID.Hex()
	return nil
}

// Lectures returns a course's lectures by order.
func (r *CourseRepo) Lectures(ctx context.Context, courseID string) ([]course.Lecture, error) {
	oid, err := objectID(courseID)
	if err != nil {
		return nil, err
	}
	docs, err := r.lectureDocs(ctx, oid)
	if err != nil {
		return nil, err
	}
	out := make([]course.Lecture, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

func (r *CourseRepo) lectureDocs(ctx context.Context, courseID primitive.ObjectID) ([]lectureDoc, error) {
	cur, err := r.lectures.Find(ctx, bson.M{"course": courseID}, options.Find().SetSort(lectureOrder))
	if err != nil {
		return nil, fmt.Errorf("find lectures: %w", err)
	}
	var docs []lectureDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read lectures: %w", err)
	}
	return docs, nil
}

// lectureFilter matches a lecture only within its course.
func lectureFilter(courseID, lectureID string) (bson.M, error) {
	c, err := objectID(courseID)
	if err != nil {
		return nil, errLectureNotFound
	}
	l, err := objectID(lectureID)
	if err != nil {
		return nil, errLectureNotFound
	}
	return bson.M{"_id": l, "course": c}, nil
}

// Lecture returns a lecture of a course.
func (r *CourseRepo) Lecture(ctx context.Context, courseID, lectureID string) (*course.Lecture, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	var doc lectureDoc
	if err := r.lectures.FindOne(ctx, filter).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, errLectureNotFound
		}
		return nil, fmt.Errorf("find lecture: %w", err)
	}
	l := doc.toDomain()
	return &l, nil
}

// UpdateLecture sets the given fields of a lecture of a course.
func (r *CourseRepo) UpdateLecture(ctx context.Context, courseID, lectureID string, ch course.LectureChanges, now time.Time) (before, after *course.Lecture, err error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, nil, err
	}
	set := bson.M{"updatedAt": now}
	setIf(set, "title", ch.Title)
	setIf(set, "description", ch.Description)
	setIf(set, "video", ch.Video)
	if ch.Order != nil {
		set["order"] = *ch.Order
	}
	if ch.IsPreview != nil {
		set["isPreview"] = *ch.IsPreview
	}
	if ch.Duration != nil {
		set["duration"] = *ch.Duration
	}
	var doc lectureDoc
	err = r.lectures.FindOneAndUpdate(ctx, filter, bson.M{"$set": set}).Decode(&doc)
	if isNoDocuments(err) {
		return nil, nil, errLectureNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("update lecture: %w", err)
	}
	b, a := doc.toDomain(), doc.toDomain()
	a.UpdatedAt = now
	applyIf(&a.Title, ch.Title)
	applyIf(&a.Description, ch.Description)
	applyIf(&a.Video, ch.Video)
	applyIf(&a.Order, ch.Order)
	applyIf(&a.IsPreview, ch.IsPreview)
	applyIf(&a.Duration, ch.Duration)
	return &b, &a, nil
}

// DeleteLecture removes a lecture of a course and returns it.
func (r *CourseRepo) DeleteLecture(ctx context.Context, courseID, lectureID string) (*course.Lecture, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	var doc lectureDoc
	if err := r.lectures.FindOneAndDelete(ctx, filter).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, errLectureNotFound
		}
		return nil, fmt.Errorf("delete lecture: %w", err)
	}
	l := doc.toDomain()
	return &l, nil
}

// DeleteLectures removes every lecture of a course.
func (r *CourseRepo) DeleteLectures(ctx context.Context, courseID string) ([]course.Lecture, error) {
	lectures, err := r.Lectures(ctx, courseID)
	if err != nil {
		return nil, err
	}
	oid, _ := objectID(courseID)
	if _, err := r.lectures.DeleteMany(ctx, bson.M{"course": oid}); err != nil {
		return nil, fmt.Errorf("delete lectures: %w", err)
	}
	return lectures, nil
}

// RefreshTotals recomputes the lecture list and totals of a course from its
// lectures. Concurrent lecture writes are safe without transactions: each
// bumps lectureRev, reads the lectures, and stores its totals only if no
// later write bumped the revision — and that later writer's read sees this
// one's lecture, so the last stored totals include every lecture.
func (r *CourseRepo) RefreshTotals(ctx context.Context, courseID string, now time.Time) ([]string, error) {
	oid, err := objectID(courseID)
	if err != nil {
		return nil, err
	}
	var bumped struct {
		LectureRev int64 `bson:"lectureRev"`
	}
	err = r.c.FindOneAndUpdate(ctx, bson.M{"_id": oid}, bson.M{"$inc": bson.M{"lectureRev": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&bumped)
	if isNoDocuments(err) {
		return nil, errCourseNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("bump lecture revision: %w", err)
	}
	docs, err := r.lectureDocs(ctx, oid)
	if err != nil {
		return nil, err
	}
	ids := make([]primitive.ObjectID, len(docs))
	hex := make([]string, len(docs))
	var total float64
	for i, d := range docs {
		ids[i], hex[i] = d.ID, d.ID.Hex()
		total += d.Duration
	}
	_, err = r.c.UpdateOne(ctx, bson.M{"_id": oid, "lectureRev": bumped.LectureRev}, bson.M{"$set": bson.M{
		"lectures": ids, "totalLectures": len(ids), "totalDuration": total, "updatedAt": now,
	}})
	if err != nil {
		return nil, fmt.Errorf("store course totals: %w", err)
	}
	return hex, nil
}
