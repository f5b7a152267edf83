package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/insights"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/progress"
)

// insightsBatch bounds one read of the insights source.
const insightsBatch = 1000

// InsightsSource reads the records a course's insights are computed from:
// purchases (with the ledger's filter), the users
// enrolled in it and its progress records. It only reads; each collection
// keeps its one writer.
type InsightsSource struct {
	purchases *mongo.Collection
	users     *mongo.Collection
	progress  *mongo.Collection
}

var _ insights.Source = (*InsightsSource)(nil)

// NewInsightsSource returns the insights source.
func NewInsightsSource(d *DB) *InsightsSource {
	return &InsightsSource{purchases: d.collection(purchaseCollection), users: d.collection(usersCollection), progress: d.collection(progressCollection)}
}

// Sales calls fn with the sold purchases of the course created in
// [from, to), in batches read from one cursor (one query: the embedded
// database decodes the collection once, not once per batch).
func (s *InsightsSource) Sales(ctx context.Context, courseID string, from, to time.Time, fn func([]payment.Purchase) error) error {
	f, ok := salesFilter(payment.SalesQuery{
		CourseIDs: []string{courseID}, Statuses: []payment.Status{payment.StatusCompleted, payment.StatusRefunded},
		From: from, To: to,
	})
	if !ok {
		return nil
	}
	cur, err := s.purchases.Find(ctx, f, options.Find().SetBatchSize(insightsBatch))
	if err != nil {
		return fmt.Errorf("find purchases: %w", err)
	}
	return eachBatch(ctx, cur, func(d *purchaseDoc) payment.Purchase { return *d.toDomain() }, fn)
}

// eachBatch decodes a cursor's documents as D, converts them and hands them
// to fn insightsBatch at a time.
func eachBatch[D, T any](ctx context.Context, cur *mongo.Cursor, conv func(*D) T, fn func([]T) error) error {
	defer cur.Close(ctx)
	batch := make([]T, 0, insightsBatch)
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		batch = append(batch, conv(&d))
		if len(batch) == insightsBatch {
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

// Enrolled returns the ids of the users enrolled in the course.
func (s *InsightsSource) Enrolled(ctx context.Context, courseID string) ([]string, error) {
	course, err := primitive.ObjectIDFromHex(courseID)
	if err != nil {
		return nil, nil
	}
	cur, err := s.users.Find(ctx, bson.M{"enrolledCourses.course": course}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("find enrolled users: %w", err)
	}
	var docs []struct {
		ID primitive.ObjectID `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read enrolled users: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID.Hex()
	}
	return out, nil
}

// Progress calls fn with every progress record of the course, as stored
// (the caller refreshes it against the current lectures).
func (s *InsightsSource) Progress(ctx context.Context, courseID string, fn func(*progress.Record) error) error {
	course, err := primitive.ObjectIDFromHex(courseID)
	if err != nil {
		return nil
	}
	cur, err := s.progress.Find(ctx, bson.M{"course": course}, options.Find().SetBatchSize(insightsBatch))
	if err != nil {
		return fmt.Errorf("find progress: %w", err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d progressDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("decode progress: %w", err)
		}
		if err := fn(d.toDomain()); err != nil {
			return err
		}
	}
	return cur.Err()
}
