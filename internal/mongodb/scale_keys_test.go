package mongodb_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"

	"github.com/lms-backend/lms/internal/mongodb"
)

// The keys the scale benchmarks store records under, as this version of
// the repositories does.

func scaleProgressID(userID, courseID primitive.ObjectID) primitive.ObjectID {
	id, _ := primitive.ObjectIDFromHex(mongodb.ProgressIDForTest(userID.Hex(), courseID.Hex()))
	return id
}

// scaleUserKeys writes the email keys of the users (ids[i] has email(i)).
func scaleUserKeys(b *testing.B, raw *mongo.Database, ids []primitive.ObjectID, email func(int) string) {
	b.Helper()
	scaleFill(b, raw.Collection("useremails"), len(ids), func(i int) any {
		return bson.M{"_id": email(i), "user": ids[i], "password": "$2a$10$hash"}
	})
}

// scaleSignIn is what a successful sign-in asks of the repository.
func scaleSignIn(ctx context.Context, repo *mongodb.UserRepo, email string) error {
	k, err := repo.EmailKey(ctx, email)
	if err != nil {
		return err
	}
	_, err = repo.TouchLastActive(ctx, k.UserID, time.Now())
	return err
}
