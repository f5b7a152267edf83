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
			// The students of a course, for its insights.
			{Keys: bson.D{{Key: "enrolledCourses.course", Value: 1}}, Options: options.Index().SetName("enrolled_course")},
		},
		coursesCollection: {
			{Keys: bson.D{{Key: "instructor", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("instructor_created")},
			{Keys: bson.D{{Key: "isPublished", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("published_created")},
			{Keys: bson.D{{Key: "isPublished", Value: 1}, {Key: "price", Value: 1}}, Options: options.Index().SetName("published_price")},
			{Keys: bson.D{{Key: "isPublished", Value: 1}, {Key: "title", Value: 1}}, Options: options.Index().SetName("published_title")},
			{Keys: bson.D{{Key: "isPublished", Value: 1}, {Key: "level", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("published_level_created")},
			{Keys: bson.D{{Key: "isPublished", Value: 1}, {Key: "rating.average", Value: -1}, {Key: "rating.count", Value: -1}}, Options: options.Index().SetName("published_rating")},
		},
		lecturesCollection: {
			{Keys: bson.D{{Key: "course", Value: 1}, {Key: "order", Value: 1}}, Options: options.Index().SetName("course_order")},
		},
		progressCollection: {
			{Keys: bson.D{{Key: "user", Value: 1}, {Key: "course", Value: 1}}, Options: options.Index().SetUnique(true).SetName("user_course_unique")},
			// A course's records, for its insights.
			{Keys: bson.D{{Key: "course", Value: 1}}, Options: options.Index().SetName("course")},
		},
		purchaseCollection: {
			// One pending purchase per user and course (see PurchaseRepo).
			{Keys: bson.D{{Key: "openKey", Value: 1}}, Options: options.Index().SetUnique(true).SetName("open_key_unique")},
			{Keys: bson.D{{Key: "user", Value: 1}, {Key: "course", Value: 1}, {Key: "status", Value: 1}}, Options: options.Index().SetName("user_course_status")},
			{Keys: bson.D{{Key: "paymentId", Value: 1}}, Options: options.Index().SetName("payment_id")},
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: 1}}, Options: options.Index().SetName("status_created")},
			{Keys: bson.D{{Key: "paymentIntent", Value: 1}}, Options: options.Index().SetName("payment_intent")},
			{Keys: bson.D{{Key: "course", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("course_created")},
		},
		certificatesCollection: {
			// _id is derived from (user, course); these serve verification
			// and "my certificates".
			{Keys: bson.D{{Key: "verifyHash", Value: 1}}, Options: options.Index().SetUnique(true).SetName("verify_hash_unique")},
			{Keys: bson.D{{Key: "user", Value: 1}, {Key: "issuedAt", Value: -1}}, Options: options.Index().SetName("user_issued")},
		},
		reviewsCollection: {
			// _id is derived from (user, course); these serve a course's
			// list in each order, account deletion and moderation.
			{Keys: bson.D{{Key: "course", Value: 1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("course_created")},
			{Keys: bson.D{{Key: "course", Value: 1}, {Key: "rating", Value: -1}, {Key: "createdAt", Value: -1}}, Options: options.Index().SetName("course_rating")},
			{Keys: bson.D{{Key: "user", Value: 1}}, Options: options.Index().SetName("user")},
			{Keys: bson.D{{Key: "reportCount", Value: -1}, {Key: "updatedAt", Value: -1}}, Options: options.Index().SetName("reported")},
		},
		eventsCollection: {
			{Keys: bson.D{{Key: "eventId", Value: 1}}, Options: options.Index().SetUnique(true).SetName("event_id_unique")},
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "processedAt", Value: 1}}, Options: options.Index().SetName("status_processed")},
		},
		couponsCollection: {
			// Codes are unique per owner; a code is looked up across owners.
			{Keys: bson.D{{Key: "owner", Value: 1}, {Key: "code", Value: 1}}, Options: options.Index().SetUnique(true).SetName("owner_code_unique")},
			{Keys: bson.D{{Key: "code", Value: 1}}, Options: options.Index().SetName("code")},
		},
		unmatchedCollection: {
			{Keys: bson.D{{Key: "firstSeen", Value: 1}}, Options: options.Index().SetName("first_seen")},
		},
	}
}

// ensureIndexes creates the indexes the repositories rely on that do not
// exist yet. (Asking FerretDB v1 to create an index that already exists
// after a restart crashes its connection, so existing names are skipped.)
func (d *DB) ensureIndexes(ctx context.Context) error {
	for coll, models := range indexes() {
		existing, err := d.indexNames(ctx, coll)
		if err != nil {
			return err
		}
		for _, m := range models {
			if existing[*m.Options.Name] {
				continue
			}
			if _, err := d.collection(coll).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("create index %s on %s: %w", *m.Options.Name, coll, err)
			}
		}
	}
	return nil
}

func (d *DB) indexNames(ctx context.Context, coll string) (map[string]bool, error) {
	specs, err := d.collection(coll).Indexes().ListSpecifications(ctx)
	if err != nil {
		return nil, fmt.Errorf("list indexes on %s: %w", coll, err)
	}
	names := make(map[string]bool, len(specs))
	for _, s := range specs {
		names[s.Name] = true
	}
	return names, nil
}
