package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/user"
)

// ProgressRepo stores course progress records in the courseprogresses
// collection; it is the one place that writes them.
type ProgressRepo struct {
	c *mongo.Collection
}

var _ user.ProgressEraser = (*ProgressRepo)(nil)

// NewProgressRepo returns the progress repository.
func NewProgressRepo(d *DB) *ProgressRepo {
	return &ProgressRepo{c: d.collection(progressCollection)}
}

// DeleteByUser deletes every progress record of a user.
func (r *ProgressRepo) DeleteByUser(ctx context.Context, userID string) error {
	oid, err := objectID(userID)
	if err != nil {
		return nil
	}
	if _, err := r.c.DeleteMany(ctx, bson.M{"user": oid}); err != nil {
		return fmt.Errorf("delete progress: %w", err)
	}
	return nil
}
