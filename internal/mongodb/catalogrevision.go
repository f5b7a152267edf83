package mongodb

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// catalogRevision is a counter of the writes that change what the published
// catalog shows: a course's card fields (its own, its totals, enrolledCount,
// rating) or its instructor's public profile. Each such write increments it
// once it is done, so an instance can tell with one exact _id read whether
// its snapshot of the catalog (course.catalog) is still current, instead of
// reading every course again — which the embedded database can only do by
// decoding the whole collection.
//
// It is kept in one document, {_id: "published", n}. An increment that fails
// after its write is not reported: the write stands, and snapshots renew
// themselves after course.maxSnapshotAge whatever the revision says, which
// also bounds how long a change made around the service (by hand in the
// database) stays unseen.
type catalogRevision struct{ c *mongo.Collection }

const catalogRevisionID = "published"

func newCatalogRevision(d *DB) catalogRevision {
	return catalogRevision{c: d.collection(catalogRevisionsCollection)}
}

// bump increments the revision after a write that changed the catalog; it
// runs even if the request was cancelled meanwhile.
func (r catalogRevision) bump(ctx context.Context) {
	_, _ = r.c.UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": catalogRevisionID},
		bson.M{"$inc": bson.M{"n": int64(1)}}, options.Update().SetUpsert(true))
}

// read returns the revision (0 before the first write).
func (r catalogRevision) read(ctx context.Context) (int64, error) {
	var doc struct {
		N int64 `bson:"n"`
	}
	err := r.c.FindOne(ctx, bson.M{"_id": catalogRevisionID}).Decode(&doc)
	if isNoDocuments(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read catalog revision: %w", err)
	}
	return doc.N, nil
}
