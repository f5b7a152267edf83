package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// indexes lists every index of every collection. Creating an index that
// exists with the same keys and options is a no-op, so this runs at every
// start.
func indexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		usersCollection: {
			{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true).SetName("email_unique")},
			{Keys: bson.D{{Key: "resetPasswordToken", Value: 1}}, Options: options.Index().SetName("reset_token")},
		},
		coursesCollection: {
			{Keys: bson.D{{Key: "instructor", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("instructor_created")},
		},
		progressCollection: {
			{Keys: bson.D{{Key: "user", Value: 1}, {Key: "course", Value: 1}}, Options: options.Index().SetUnique(true).SetName("user_course_unique")},
		},
	}
}

// EnsureIndexes creates the indexes the repositories rely on.
func (d *DB) EnsureIndexes(ctx context.Context) error {
	for coll, models := range indexes() {
		if _, err := d.collection(coll).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("create indexes on %s: %w", coll, err)
		}
	}
	return nil
}
