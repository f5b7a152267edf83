package mongodb

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/course"
)

// A course's curriculum lives in its own document, so that every change of
// it is one atomic update: `sections` (in order, each with its lecture ids
// in order), `lectures` (every lecture, in course order: the unsectioned
// ones first, then section by section) and `curriculumVersion`, which every
// change of either bumps — SetCurriculum, and AddLecture and DeleteLecture
// in the same update that changes `lectures`. SetCurriculum stores only
// over the version it was computed from. A section may still list a
// lecture that was deleted since (a nested $pull needs positional
// operators the embedded database lacks); reads drop ids that `lectures`
// does not have, and the next SetCurriculum stores the clean list.
//
// Lectures keep an order field (seed clients sort by it). With sections it
// is renumbered 1..n in course order after each change, stamped with the
// lectureRev it was computed at (orderRev; every lecture of the course is
// stamped before any is renumbered): a renumbering computed earlier never
// overwrites a later one.

// sectionDoc is a section as stored in its course's document.
type sectionDoc struct {
	ID       primitive.ObjectID   `bson:"_id"`
	Title    string               `bson:"title"`
	Lectures []primitive.ObjectID `bson:"lectures"`
}

// sections returns the course's sections, each listing only the lectures
// the course still has.
func (d *courseDoc) sections() []course.Section {
	if len(d.Sections) == 0 {
		return nil
	}
	have := make(map[primitive.ObjectID]bool, len(d.Lectures))
	for _, id := range d.Lectures {
		have[id] = true
	}
	out := make([]course.Section, len(d.Sections))
	for i, s := range d.Sections {
		ids := []string{}
		for _, id := range s.Lectures {
			if have[id] {
				ids = append(ids, id.Hex())
			}
		}
		out[i] = course.Section{ID: s.ID.Hex(), Title: s.Title, LectureIDs: ids}
	}
	return out
}

// SetCurriculum stores a course's sections and lecture order over the
// curriculum version it was computed from, then renumbers its lectures and
// refreshes the course's copy of them (RefreshTotals: it reads them again
// after the renumbering, so that a copy stored meanwhile from half
// renumbered lectures does not stay).
func (r *CourseRepo) SetCurriculum(ctx context.Context, courseID string, version int64, cu course.Curriculum, now time.Time) (*course.Course, error) {
	oid, err := objectID(courseID, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	sections := make([]sectionDoc, len(cu.Sections))
	for i, s := range cu.Sections {
		sections[i] = sectionDoc{ID: primitive.NewObjectID(), Title: s.Title, Lectures: objectIDs(s.LectureIDs)}
		if s.ID != "" {
			if sections[i].ID, err = objectID(s.ID, course.ErrSectionNotFound); err != nil {
				return nil, err
			}
		}
	}
	flat := objectIDs(cu.Flat())
	filter := bson.M{"_id": oid, "curriculumVersion": version}
	if version == 0 { // courses stored before sections have no version
		filter = bson.M{"_id": oid, "$or": bson.A{bson.M{"curriculumVersion": 0}, bson.M{"curriculumVersion": bson.M{"$exists": false}}}}
	}
	var doc courseDoc
	err = r.c.FindOneAndUpdate(ctx, filter, bson.M{
		"$set": bson.M{"sections": sections, "lectures": flat, "updatedAt": now},
		"$inc": bson.M{"curriculumVersion": 1, "lectureRev": 1},
	}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	if isNoDocuments(err) {
		if _, err := r.ByID(ctx, courseID); err != nil {
			return nil, err
		}
		return nil, course.ErrCurriculumChanged
	}
	if err != nil {
		return nil, fmt.Errorf("store curriculum: %w", err)
	}
	if doc.IsPublished { // the lecture list a published course's card shows, however this ends
		defer r.rev.bump(ctx)
	}
	if r.renumbering != nil {
		r.renumbering()
	}
	docs, err := r.lectureDocs(ctx, oid)
	if err != nil {
		return nil, err
	}
	if err := r.renumber(ctx, oid, docs, flat, doc.LectureRev); err != nil {
		return nil, err
	}
	if _, err := r.RefreshTotals(ctx, courseID, now); err != nil {
		return nil, err
	}
	c := doc.toDomain()
	return &c, nil
}

// renumber sets each lecture's order to its position (1..n) in ids where it
// differs, unless a renumbering at a later revision got there first. It
// first stamps every lecture of the course with rev (one update), so that a
// renumbering at an earlier revision that runs late changes no lecture
// afterwards — not even one this renumbering left as it was.
func (r *CourseRepo) renumber(ctx context.Context, courseID primitive.ObjectID, docs []lectureDoc, ids []primitive.ObjectID, rev int64) error {
	_, err := r.lectures.UpdateMany(ctx, bson.M{"course": courseID, "$or": bson.A{
		bson.M{"orderRev": bson.M{"$lt": rev}}, bson.M{"orderRev": bson.M{"$exists": false}},
	}}, bson.M{"$set": bson.M{"orderRev": rev}})
	if err != nil {
		return fmt.Errorf("renumber lectures: %w", err)
	}
	for _, d := range docs {
		i := slices.Index(ids, d.ID)
		if i < 0 || d.Order == i+1 {
			continue
		}
		_, err := r.lectures.UpdateOne(ctx, bson.M{"_id": d.ID, "orderRev": bson.M{"$lte": rev}},
			bson.M{"$set": bson.M{"order": i + 1, "orderRev": rev}})
		if err != nil {
			return fmt.Errorf("renumber lectures: %w", err)
		}
	}
	return nil
}

// inOrder returns docs in the order of ids; documents ids does not list
// follow, in their own order.
func inOrder(docs []lectureDoc, ids []string) []lectureDoc {
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	out := slices.Clone(docs)
	slices.SortStableFunc(out, func(a, b lectureDoc) int {
		pa, okA := pos[a.ID.Hex()]
		pb, okB := pos[b.ID.Hex()]
		switch {
		case okA && okB:
			return pa - pb
		case okA:
			return -1
		case okB:
			return 1
		}
		return 0
	})
	return out
}
