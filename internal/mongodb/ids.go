package mongodb

import (
	"go.mongodb.org/mongo-driver/bson/primitive"
)

// objectID parses a 24-hex id. A malformed id cannot name a document, so it
// is reported as notFound, the domain's error for the missing document; the
// HTTP layer rejects malformed ids earlier.
func objectID(id string, notFound error) (primitive.ObjectID, error) {
	oid, err := primitive.ObjectIDFromHex(id)
	if err != nil {
		return primitive.NilObjectID, notFound
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
