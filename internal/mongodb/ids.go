package mongodb

import (
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/apperr"
)

// objectID parses a 24-hex id. A malformed id cannot name a document, so it
// is reported as not found; the HTTP layer rejects malformed ids earlier.
func objectID(id string) (primitive.ObjectID, error) {
	oid, err := primitive.ObjectIDFromHex(id)
	if err != nil {
		return primitive.NilObjectID, apperr.New(apperr.NotFound, "not found")
	}
	return oid, nil
}

// objectIDs parses ids, skipping malformed ones.
func objectIDs(ids []string) []primitive.ObjectID {
	out := make([]primitive.ObjectID, 0, len(ids))
	for _, id := range ids {
		if oid, err := primitive.ObjectIDFromHex(id); err == nil {
			out = append(out, oid)
		}
	}
	return out
}

// NewID returns a new ObjectId as a hex string.
func NewID() string {
	return primitive.NewObjectID().Hex()
}
