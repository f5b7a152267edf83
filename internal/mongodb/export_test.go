package mongodb

import (
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
)

// CollectionForTest exposes a collection handle to the external tests of this
// package, which cannot be internal tests: they use mongotest, which imports
// this package.
func (d *DB) CollectionForTest(name string) *mongo.Collection { return d.collection(name) }

// ProgressIDForTest is the _id derived for the record of a user and course.
func ProgressIDForTest(userID, courseID string) string {
	uid, _ := primitive.ObjectIDFromHex(userID)
	cid, _ := primitive.ObjectIDFromHex(courseID)
	return progressID(uid, cid).Hex()
}

// PauseRecountForTest makes r call f between a recount's read of the
// reviews and its write of the summary, to widen or force the race of two
// recounts.
func (r *ReviewRepo) PauseRecountForTest(f func()) { r.counted = f }

// PauseRenumberForTest makes r call f before each renumbering of a course's
// lectures reads them, to force the race of two curriculum writes.
func (r *CourseRepo) PauseRenumberForTest(f func()) { r.renumbering = f }
