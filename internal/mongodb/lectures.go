package mongodb

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/course"
)

// lectureOrder sorts lectures by order, then by creation.
var lectureOrder = bson.D{{Key: "order", Value: 1}, {Key: "_id", Value: 1}}

// AddLecture inserts a lecture, sets its ID and adds it to the course's
// lecture list (membership; RefreshTotals puts the list in order) and to
// the copy of its lectures (courseDoc.LectureDocs), in one update. (On a
// document stored before the copy, the push starts a partial one; the
// RefreshTotals that follows every AddLecture stores the whole list.)
func (r *CourseRepo) AddLecture(ctx context.Context, l *course.Lecture) error {
	courseID, err := objectID(l.CourseID, course.ErrCourseNotFound)
	if err != nil {
		return err
	}
	doc := lectureDoc{
		ID: primitive.NewObjectID(), Course: courseID, Title: l.Title, Description: l.Description, Video: l.Video,
		Duration: l.Duration, IsPreview: l.IsPreview, Order: l.Order, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
	}
	if _, err := r.lectures.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("insert lecture: %w", err)
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": courseID}, bson.M{
		"$push": bson.M{"lectures": doc.ID, "lectureDocs": doc},
		"$inc":  bson.M{"totalLectures": 1, "lectureRev": 1, "curriculumVersion": 1},
	})
	if err == nil && res.MatchedCount == 0 {
		err = course.ErrCourseNotFound
	}
	if err != nil {
		if _, derr := r.lectures.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": doc.ID}); derr != nil {
			err = errors.Join(err, fmt.Errorf("undo lecture insert: %w", derr))
		}
		return fmt.Errorf("add lecture to course: %w", err)
	}
	l.ID = doc.ID.Hex()
	return nil
}

// Lectures returns a course's lectures by order, from the copy its
// document carries (courseDoc.LectureDocs): one read by _id, which the
// embedded database answers without decoding every lecture. Only the
// lectures the course lists count: DeleteLecture unlists a lecture at once,
// its refresh drops it from the copy later (or never, if the request ends
// first). A copy that lacks a listed lecture — a document stored before
// the copy existed, or one whose refresh after a lecture write never ran —
// is not trusted: the lectures collection answers, and RefreshTotals then
// stores the copy (keeping the course's updatedAt), so such documents
// converge without a migration.
func (r *CourseRepo) Lectures(ctx context.Context, courseID string) ([]course.Lecture, error) {
	oid, err := objectID(courseID, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	var c struct {
		Lectures    []primitive.ObjectID `bson:"lectures"`
		LectureDocs []lectureDoc         `bson:"lectureDocs"` // nil: no field; empty: no lectures
		UpdatedAt   time.Time            `bson:"updatedAt"`
	}
	err = r.c.FindOne(ctx, bson.M{"_id": oid}, options.FindOne().SetProjection(bson.M{"lectures": 1, "lectureDocs": 1, "updatedAt": 1})).Decode(&c)
	if isNoDocuments(err) {
		return nil, course.ErrCourseNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find course lectures: %w", err)
	}
	docs := listed(c.LectureDocs, c.Lectures)
	if len(docs) < len(c.Lectures) {
		if docs, err = r.lectureDocs(ctx, oid); err != nil {
			return nil, err
		}
		docs = listed(docs, c.Lectures)
		if _, err := r.RefreshTotals(ctx, courseID, c.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store the course's lectures: %w", err)
		}
	}
	slices.SortStableFunc(docs, byLectureOrder)
	return lecturesOf(docs), nil
}

// listed returns the docs of the lectures in ids.
func listed(docs []lectureDoc, ids []primitive.ObjectID) []lectureDoc {
	return slices.DeleteFunc(docs, func(d lectureDoc) bool { return !slices.Contains(ids, d.ID) })
}

// byLectureOrder compares lectures as lectureOrder sorts them.
func byLectureOrder(a, b lectureDoc) int {
	return cmp.Or(cmp.Compare(a.Order, b.Order), bytes.Compare(a.ID[:], b.ID[:]))
}

func lecturesOf(docs []lectureDoc) []course.Lecture {
	out := make([]course.Lecture, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out
}

func (r *CourseRepo) lectureDocs(ctx context.Context, courseID primitive.ObjectID) ([]lectureDoc, error) {
	cur, err := r.lectures.Find(ctx, bson.M{"course": courseID}, options.Find().SetSort(lectureOrder))
	if err != nil {
		return nil, fmt.Errorf("find lectures: %w", err)
	}
	var docs []lectureDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read lectures: %w", err)
	}
	return docs, nil
}

// lectureFilter matches a lecture only within its course.
func lectureFilter(courseID, lectureID string) (bson.M, error) {
	c, err := objectID(courseID, course.ErrCourseNotFound)
	if err != nil {
		return nil, course.ErrLectureNotFound
	}
	l, err := objectID(lectureID, course.ErrLectureNotFound)
	if err != nil {
		return nil, course.ErrLectureNotFound
	}
	return bson.M{"_id": l, "course": c}, nil
}

// Lecture returns a lecture of a course.
// It reads the lecture by _id alone (the filter the embedded database finds
// without a scan; a player reports positions on it every few seconds) and
// checks the course in Go.
func (r *CourseRepo) Lecture(ctx context.Context, courseID, lectureID string) (*course.Lecture, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	var doc lectureDoc
	if err := r.lectures.FindOne(ctx, bson.M{"_id": filter["_id"]}).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, course.ErrLectureNotFound
		}
		return nil, fmt.Errorf("find lecture: %w", err)
	}
	if doc.Course != filter["course"] {
		return nil, course.ErrLectureNotFound
	}
	l := doc.toDomain()
	return &l, nil
}

// UpdateLecture sets the given fields of a lecture of a course.
func (r *CourseRepo) UpdateLecture(ctx context.Context, courseID, lectureID string, ch course.LectureChanges, now time.Time) (before, after *course.Lecture, err error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, nil, err
	}
	set := bson.M{"updatedAt": now}
	setIf(set, "title", ch.Title)
	setIf(set, "description", ch.Description)
	setIf(set, "video", ch.Video)
	if ch.Order != nil {
		set["order"] = *ch.Order
	}
	if ch.IsPreview != nil {
		set["isPreview"] = *ch.IsPreview
	}
	if ch.Duration != nil {
		set["duration"] = *ch.Duration
	}
	var doc lectureDoc
	err = r.lectures.FindOneAndUpdate(ctx, filter, bson.M{"$set": set}).Decode(&doc)
	if isNoDocuments(err) {
		return nil, nil, course.ErrLectureNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("update lecture: %w", err)
	}
	b, a := doc.toDomain(), doc.toDomain()
	a.UpdatedAt = now
	applyIf(&a.Title, ch.Title)
	applyIf(&a.Description, ch.Description)
	applyIf(&a.Video, ch.Video)
	applyIf(&a.Order, ch.Order)
	applyIf(&a.IsPreview, ch.IsPreview)
	applyIf(&a.Duration, ch.Duration)
	return &b, &a, nil
}

// DeleteLecture removes a lecture of a course and returns it. A published
// course keeps its last lecture (course.ErrLastLecture): the lecture leaves
// the course's lecture list in one conditional update of the course —
// only while the course is a draft or has another lecture — before its
// document goes, so two concurrent deletes (or a publish racing a delete)
// cannot both pass the check.
func (r *CourseRepo) DeleteLecture(ctx context.Context, courseID, lectureID string) (*course.Lecture, error) {
	filter, err := lectureFilter(courseID, lectureID)
	if err != nil {
		return nil, err
	}
	cid, lid := filter["course"], filter["_id"]
	res, err := r.c.UpdateOne(ctx, bson.M{
		"_id": cid, "lectures": lid,
		"$or": bson.A{bson.M{"isPublished": false}, bson.M{"totalLectures": bson.M{"$gt": 1}}},
	}, bson.M{"$pull": bson.M{"lectures": lid}, "$inc": bson.M{"totalLectures": -1, "lectureRev": 1, "curriculumVersion": 1}})
	if err != nil {
		return nil, fmt.Errorf("remove lecture from course: %w", err)
	}
	if res.ModifiedCount == 0 {
		return nil, r.whyNotRemovable(ctx, courseID, lectureID)
	}
	var doc lectureDoc
	if err := r.lectures.FindOneAndDelete(ctx, filter).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, course.ErrLectureNotFound
		}
		err = fmt.Errorf("delete lecture: %w", err)
		if _, uerr := r.c.UpdateOne(context.WithoutCancel(ctx), bson.M{"_id": cid}, bson.M{
			"$push": bson.M{"lectures": lid}, "$inc": bson.M{"totalLectures": 1, "lectureRev": 1, "curriculumVersion": 1},
		}); uerr != nil {
			err = errors.Join(err, fmt.Errorf("undo lecture removal: %w", uerr))
		}
		return nil, err
	}
	l := doc.toDomain()
	return &l, nil
}

// whyNotRemovable tells why a lecture could not leave its course: no such
// course, no such lecture in it, or it is the last one of a published
// course.
func (r *CourseRepo) whyNotRemovable(ctx context.Context, courseID, lectureID string) error {
	c, err := r.ByID(ctx, courseID)
	if err != nil {
		return err
	}
	if !slices.Contains(c.LectureIDs, lectureID) {
		return course.ErrLectureNotFound
	}
	return course.ErrLastLecture
}

// DeleteLectures removes every lecture of a course (whose document may be
// gone already).
func (r *CourseRepo) DeleteLectures(ctx context.Context, courseID string) ([]course.Lecture, error) {
	oid, err := objectID(courseID, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	docs, err := r.lectureDocs(ctx, oid)
	if err != nil {
		return nil, err
	}
	if _, err := r.lectures.DeleteMany(ctx, bson.M{"course": oid}); err != nil {
		return nil, fmt.Errorf("delete lectures: %w", err)
	}
	return lecturesOf(docs), nil
}

// RefreshTotals puts the course's lecture list in lecture order, recomputes
// totalLectures and totalDuration from its lectures and stores the copy of
// the lectures that count (courseDoc.LectureDocs). The list's
// membership changes only in AddLecture and DeleteLecture, which bump
// lectureRev; RefreshTotals bumps it too, reads the list with the same
// update, and stores its result only if no later write bumped the revision
// — that later write (or its own refresh) stores what comes after. So
// concurrent lecture writes need no transactions, and a lecture whose
// document is still being inserted or deleted never counts.
//
// Lecture order is the lectures' order field for a course without
// sections; with sections it is the curriculum's (see sections.go), and the
// lectures' order fields are renumbered to match (the copy carries the
// renumbered order at once).
func (r *CourseRepo) RefreshTotals(ctx context.Context, courseID string, now time.Time) ([]string, error) {
	oid, err := objectID(courseID, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	var bumped courseDoc
	err = r.c.FindOneAndUpdate(ctx, bson.M{"_id": oid}, bson.M{"$inc": bson.M{"lectureRev": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&bumped)
	if isNoDocuments(err) {
		return nil, course.ErrCourseNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("bump lecture revision: %w", err)
	}
	docs, err := r.lectureDocs(ctx, oid)
	if err != nil {
		return nil, err
	}
	sectioned := len(bumped.Sections) > 0
	if sectioned {
		c := bumped.toDomain()
		docs = inOrder(docs, c.Curriculum().Flat())
	}
	docs = listed(docs, bumped.Lectures)
	counted := make([]lectureDoc, 0, len(docs))
	ids := make([]primitive.ObjectID, 0, len(docs))
	hex := make([]string, 0, len(docs))
	var total float64
	for _, d := range docs {
		ids, hex = append(ids, d.ID), append(hex, d.ID.Hex())
		total += d.Duration
		if sectioned {
			d.Order = len(ids) // as renumber sets it
		}
		counted = append(counted, d)
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": oid, "lectureRev": bumped.LectureRev}, bson.M{"$set": bson.M{
		"lectures": ids, "lectureDocs": counted, "totalLectures": len(ids), "totalDuration": total, "updatedAt": now,
	}})
	if err != nil {
		return nil, fmt.Errorf("store course totals: %w", err)
	}
	// The totals and lecture list are on the card of a published course.
	// (A publish that lands between the revision read above and this
	// store bumps before it: snapshots then keep the old totals until their
	// maximum age.)
	if res.MatchedCount == 1 && bumped.IsPublished {
		r.rev.bump(ctx)
	}
	if sectioned && res.MatchedCount == 1 {
		if err := r.renumber(ctx, oid, docs, ids, bumped.LectureRev); err != nil {
			return nil, err
		}
	}
	return hex, nil
}
