package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/enrolment"
)

// EnrolmentRepo stores enrolments. They live in the users collection, as the
// user's enrolledCourses entries (so that a profile is one read), and each
// course's enrolledCount changes only when an entry really was added or
// removed. It is the only writer of both fields.
type EnrolmentRepo struct {
	users   *mongo.Collection
	courses *mongo.Collection
	rev     catalogRevision // enrolledCount is on the course's card
}

var _ enrolment.Repository = (*EnrolmentRepo)(nil)

// NewEnrolmentRepo returns the enrolments repository.
func NewEnrolmentRepo(d *DB) *EnrolmentRepo {
	return &EnrolmentRepo{users: d.collection(usersCollection), courses: d.collection(coursesCollection), rev: newCatalogRevision(d)}
}

// Enrol adds the course to the user's enrolledCourses unless it is there,
// and then, only if it added it, increments the course's enrolledCount. The
// two documents cannot change together (no transactions): if the increment
// fails, the entry is taken out again so that a retry does both.
func (r *EnrolmentRepo) Enrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error) {
	user, course, ok := pair(userID, courseID)
	if !ok {
		return false, nil
	}
	entry := enrollmentDoc{Course: course, EnrolledAt: clock.Truncate(at)}
	res, err := r.users.UpdateOne(ctx, notEnrolled(user, course),
		bson.M{"$push": bson.M{"enrolledCourses": entry}, "$set": bson.M{"updatedAt": at}})
	if err != nil {
		return false, fmt.Errorf("add enrolment: %w", err)
	}
	if res.ModifiedCount == 0 {
		return false, nil // enrolled already, or no such user
	}
	if _, err := r.courses.UpdateOne(ctx, bson.M{"_id": course}, bson.M{"$inc": bson.M{"enrolledCount": 1}}); err != nil {
		err = fmt.Errorf("count enrolment: %w", err)
		// Pulled by its exact value (see Unenrol).
		if _, uerr := r.users.UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": user},
			bson.M{"$pull": bson.M{"enrolledCourses": entry}}); uerr != nil {
			err = errors.Join(err, fmt.Errorf("undo enrolment: %w", uerr))
		}
		return false, err
	}
	r.rev.bump(ctx)
	return true, nil
}

// Unenrol removes the course from the user's enrolledCourses and then, only
// if it removed it, decrements the course's enrolledCount (putting the entry
// back if that fails).
//
// The entries are pulled by their exact stored value: FerretDB v1 compares
// a $pull condition such as {course: id} with whole elements, so it would
// never match an entry that also has enrolledAt.
func (r *EnrolmentRepo) Unenrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error) {
	user, course, ok := pair(userID, courseID)
	if !ok {
		return false, nil
	}
	var doc struct {
		Enrolled []bson.D `bson:"enrolledCourses"`
	}
	err := r.users.FindOne(ctx, bson.M{"_id": user, "enrolledCourses.course": course},
		options.FindOne().SetProjection(bson.M{"enrolledCourses": 1})).Decode(&doc)
	if isNoDocuments(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find enrolment: %w", err)
	}
	removed := 0
	var pulled []bson.D
	for _, e := range doc.Enrolled {
		if !entryOf(e, course) {
			continue
		}
		res, err := r.users.UpdateOne(ctx, bson.M{"_id": user},
			bson.M{"$pull": bson.M{"enrolledCourses": e}, "$set": bson.M{"updatedAt": at}})
		if err != nil {
			return false, errors.Join(fmt.Errorf("remove enrolment: %w", err), r.restore(ctx, user, course, pulled))
		}
		if res.ModifiedCount > 0 {
			removed++
			pulled = append(pulled, e)
		}
	}
	if removed == 0 {
		return false, nil // removed meanwhile
	}
	if _, err := r.courses.UpdateOne(ctx, bson.M{"_id": course, "enrolledCount": bson.M{"$gt": 0}},
		bson.M{"$inc": bson.M{"enrolledCount": -1}}); err != nil {
		return false, errors.Join(fmt.Errorf("count unenrolment: %w", err), r.restore(ctx, user, course, pulled))
	}
	r.rev.bump(ctx)
	return true, nil
}

// restore puts pulled enrolment entries back after a failed Unenrol.
func (r *EnrolmentRepo) restore(ctx context.Context, user, course primitive.ObjectID, entries []bson.D) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := r.users.UpdateOne(context.WithoutCancel(ctx), notEnrolled(user, course),
		bson.M{"$push": bson.M{"enrolledCourses": entries[0]}})
	if err != nil {
		return fmt.Errorf("undo unenrolment: %w", err)
	}
	return nil
}

// IsEnrolled reports whether the user's enrolledCourses holds the course.
// It reads the user by _id alone (the one filter the embedded database
// answers without a scan) and looks for the course in Go.
func (r *EnrolmentRepo) IsEnrolled(ctx context.Context, userID, courseID string) (bool, error) {
	list, err := r.ByUser(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, e := range list {
		if e.CourseID == courseID {
			return true, nil
		}
	}
	return false, nil
}

// ByUser returns the user's enrolments in the order they were added; an
// unknown user has none.
func (r *EnrolmentRepo) ByUser(ctx context.Context, userID string) ([]enrolment.Enrolment, error) {
	uid, err := primitive.ObjectIDFromHex(userID)
	if err != nil {
		return nil, nil
	}
	var doc struct {
		Enrolled []enrollmentDoc `bson:"enrolledCourses"`
	}
	err = r.users.FindOne(ctx, bson.M{"_id": uid}, options.FindOne().SetProjection(bson.M{"enrolledCourses": 1})).Decode(&doc)
	if isNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read enrolments: %w", err)
	}
	return enrolmentsOf(doc.Enrolled), nil
}

// enrolmentsOf converts stored enrolledCourses entries.
func enrolmentsOf(docs []enrollmentDoc) []enrolment.Enrolment {
	out := make([]enrolment.Enrolment, len(docs))
	for i, e := range docs {
		out[i] = enrolment.Enrolment{CourseID: e.Course.Hex(), EnrolledAt: e.EnrolledAt}
	}
	return out
}

// entryOf reports whether the enrolment entry e is of course.
func entryOf(e bson.D, course primitive.ObjectID) bool {
	for _, f := range e {
		if f.Key == "course" {
			id, _ := f.Value.(primitive.ObjectID)
			return id == course
		}
	}
	return false
}

// notEnrolled matches the user unless their enrolledCourses holds the course.
// It is {"enrolledCourses.course": {$ne: course}} in MongoDB terms, spelt
// with $nor because FerretDB v1 matches $ne, $nin and $not against an array
// of documents when any one element differs (measured), which would let a
// second entry in.
func notEnrolled(user, course primitive.ObjectID) bson.M {
	return bson.M{"_id": user, "$nor": bson.A{bson.M{"enrolledCourses.course": course}}}
}

// pair parses a user and a course id; malformed ids name no document.
func pair(userID, courseID string) (user, course primitive.ObjectID, ok bool) {
	user, err := primitive.ObjectIDFromHex(userID)
	if err != nil {
		return user, course, false
	}
	course, err = primitive.ObjectIDFromHex(courseID)
	return user, course, err == nil
}
