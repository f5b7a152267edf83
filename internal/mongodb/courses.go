package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/user"
)

// CourseRepo stores courses in the courses collection.
type CourseRepo struct {
	c *mongo.Collection
}

var _ user.Courses = (*CourseRepo)(nil)

// NewCourseRepo returns the courses repository.
func NewCourseRepo(d *DB) *CourseRepo {
	return &CourseRepo{c: d.collection(coursesCollection)}
}

// Summaries returns the title, thumbnail and description of the courses
// with these ids, in one query.
func (r *CourseRepo) Summaries(ctx context.Context, ids []string) (map[string]user.CourseSummary, error) {
	out := map[string]user.CourseSummary{}
	oids := objectIDs(ids)
	if len(oids) == 0 {
		return out, nil
	}
	cur, err := r.c.Find(ctx, bson.M{"_id": bson.M{"$in": oids}},
		options.Find().SetProjection(bson.M{"title": 1, "thumbnail": 1, "description": 1}))
	if err != nil {
		return nil, fmt.Errorf("find courses: %w", err)
	}
	var docs []struct {
		ID          primitive.ObjectID `bson:"_id"`
		Title       string             `bson:"title"`
		Thumbnail   string             `bson:"thumbnail"`
		Description string             `bson:"description"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read courses: %w", err)
	}
	for _, d := range docs {
		out[d.ID.Hex()] = user.CourseSummary{ID: d.ID.Hex(), Title: d.Title, Thumbnail: d.Thumbnail, Description: d.Description}
	}
	return out, nil
}

// CountByInstructor counts the courses an instructor owns.
func (r *CourseRepo) CountByInstructor(ctx context.Context, instructorID string) (int64, error) {
	oid, err := objectID(instructorID)
	if err != nil {
		return 0, nil
	}
	n, err := r.c.CountDocuments(ctx, bson.M{"instructor": oid})
	if err != nil {
		return 0, fmt.Errorf("count courses: %w", err)
	}
	return n, nil
}

// courseDoc is a course as stored.
type courseDoc struct {
	ID            primitive.ObjectID   `bson:"_id"`
	Title         string               `bson:"title"`
	Subtitle      string               `bson:"subtitle"`
	Description   string               `bson:"description"`
	Category      string               `bson:"category"`
	Level         string               `bson:"level"`
	Price         float64              `bson:"price"`
	Thumbnail     string               `bson:"thumbnail"` // storage key
	Instructor    primitive.ObjectID   `bson:"instructor"`
	Lectures      []primitive.ObjectID `bson:"lectures"` // ordered by lecture order
	IsPublished   bool                 `bson:"isPublished"`
	TotalLectures int                  `bson:"totalLectures"`
	TotalDuration float64              `bson:"totalDuration"` // seconds
	EnrolledCount int                  `bson:"enrolledCount"`
	CreatedAt     time.Time            `bson:"createdAt"`
	UpdatedAt     time.Time            `bson:"updatedAt"`
}

// lectureDoc is a lecture as stored, in the lectures collection.
type lectureDoc struct {
	ID          primitive.ObjectID `bson:"_id"`
	Course      primitive.ObjectID `bson:"course"`
	Title       string             `bson:"title"`
	Description string             `bson:"description"`
	Video       string             `bson:"video"` // storage key
	Duration    float64            `bson:"duration"`
	IsPreview   bool               `bson:"isPreview"`
	Order       int                `bson:"order"`
	CreatedAt   time.Time          `bson:"createdAt"`
	UpdatedAt   time.Time          `bson:"updatedAt"`
}
