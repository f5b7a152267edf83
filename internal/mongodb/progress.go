package mongodb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/progress"
	"github.com/lms-backend/lms/internal/user"
)

// ProgressRepo stores course progress records in the courseprogresses
// collection; it is the one place that writes them.
//
// Every write is a read-modify-write of the whole record: read it (with its
// version), refresh it against the course's current lectures (which the
// caller read with the course), apply the
// change, recompute the percentage (progress.Record.Refresh), and replace the
// document only if its version is still the one read. When another write got
// in first, the replace matches nothing and the whole step is retried, a
// bounded number of times. The replace is a single-document operation, which
// MongoDB runs atomically and the embedded database serialises over its one
// connection, so no two writes can both succeed from the same version.
// Within one process, writes to one record also take turns (recordLocks), so
// they rarely need the retry; across instances the version check alone
// decides.
type ProgressRepo struct {
	c     *mongo.Collection
	locks *recordLocks
}

var (
	_ user.ProgressEraser = (*ProgressRepo)(nil)
	_ progress.Repository = (*ProgressRepo)(nil)
)

// NewProgressRepo returns the progress repository.
func NewProgressRepo(d *DB) *ProgressRepo {
	return &ProgressRepo{
		c:     d.collection(progressCollection),
		locks: &recordLocks{},
	}
}

// Retry bounds of a version-checked write. n writers on one record need at
// most n rounds (each round one of them wins); the jittered back-off spreads
// the losers out so that rounds are rarely wasted.
const (
	progressWriteAttempts = 64
	progressBackoffMax    = 20 * time.Millisecond
)

// progressDoc is a progress record as stored.
type progressDoc struct {
	ID                   primitive.ObjectID   `bson:"_id"`
	User                 primitive.ObjectID   `bson:"user"`
	Course               primitive.ObjectID   `bson:"course"`
	LectureProgress      []lectureProgressDoc `bson:"lectureProgress"`
	CompletionPercentage int                  `bson:"completionPercentage"`
	IsCompleted          bool                 `bson:"isCompleted"`
	LastAccessed         time.Time            `bson:"lastAccessed"`
	// Version counts the writes of the record; every write is conditional
	// on the version it read.
	Version   int64     `bson:"version"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

type lectureProgressDoc struct {
	Lecture     primitive.ObjectID `bson:"lecture"`
	IsCompleted bool               `bson:"isCompleted"`
	LastWatched *time.Time         `bson:"lastWatched"`
}

func (d *progressDoc) toDomain() *progress.Record {
	r := &progress.Record{
		ID: d.ID.Hex(), UserID: d.User.Hex(), CourseID: d.Course.Hex(),
		Lectures:             make([]progress.LectureProgress, len(d.LectureProgress)),
		CompletionPercentage: d.CompletionPercentage, IsCompleted: d.IsCompleted,
		LastAccessed: d.LastAccessed, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	for i, e := range d.LectureProgress {
		r.Lectures[i] = progress.LectureProgress{LectureID: e.Lecture.Hex(), IsCompleted: e.IsCompleted, LastWatched: e.LastWatched}
	}
	return r
}

// progressDocOf is the document of r. Lecture ids come from the course's
// lectures collection, so they are well formed.
func progressDocOf(id, userID, courseID primitive.ObjectID, r *progress.Record, version int64) progressDoc {
	d := progressDoc{
		ID: id, User: userID, Course: courseID,
		LectureProgress:      make([]lectureProgressDoc, len(r.Lectures)),
		CompletionPercentage: r.CompletionPercentage, IsCompleted: r.IsCompleted,
		LastAccessed: r.LastAccessed, Version: version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	for i, e := range r.Lectures {
		lid, _ := primitive.ObjectIDFromHex(e.LectureID)
		d.LectureProgress[i] = lectureProgressDoc{Lecture: lid, IsCompleted: e.IsCompleted, LastWatched: e.LastWatched}
	}
	return d
}

// DeleteByUser deletes every progress record of a user.
func (r *ProgressRepo) DeleteByUser(ctx context.Context, userID string) error {
	oid, err := objectID(userID, progress.ErrRecordNotFound)
	if err != nil {
		return nil
	}
	if _, err := r.c.DeleteMany(ctx, bson.M{"user": oid}); err != nil {
		return fmt.Errorf("delete progress: %w", err)
	}
	return nil
}

// DeleteByCourse deletes every progress record of a course.
func (r *ProgressRepo) DeleteByCourse(ctx context.Context, courseID string) error {
	oid, err := objectID(courseID, progress.ErrRecordNotFound)
	if err != nil {
		return nil
	}
	if _, err := r.c.DeleteMany(ctx, bson.M{"course": oid}); err != nil {
		return fmt.Errorf("delete progress: %w", err)
	}
	return nil
}

// RemoveLecture refreshes every record of the course that has an entry for
// the removed lecture against the course's current lectures, which drops
// the entry and recomputes the percentage.
func (r *ProgressRepo) RemoveLecture(ctx context.Context, courseID, lectureID string, current []string, now time.Time) error {
	cid, err := objectID(courseID, progress.ErrRecordNotFound)
	if err != nil {
		return nil
	}
	lid, err := objectID(lectureID, progress.ErrRecordNotFound)
	if err != nil {
		return nil
	}
	cur, err := r.c.Find(ctx, bson.M{"course": cid, "lectureProgress.lecture": lid},
		options.Find().SetProjection(bson.M{"user": 1}))
	if err != nil {
		return fmt.Errorf("find progress of lecture: %w", err)
	}
	var docs []struct {
		User primitive.ObjectID `bson:"user"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return fmt.Errorf("read progress of lecture: %w", err)
	}
	current = slices.DeleteFunc(slices.Clone(current), func(id string) bool { return id == lectureID })
	for _, d := range docs {
		// The refresh around the change drops the entry and recomputes.
		_, err := r.update(ctx, d.User, cid, current, func(rec *progress.Record) error {
			rec.UpdatedAt = now
			return nil
		})
		if err != nil && !errors.Is(err, progress.ErrRecordNotFound) {
			return fmt.Errorf("remove lecture from progress: %w", err)
		}
	}
	return nil
}

// Find returns the user's record for the course, refreshed against the
// course's current lectures.
func (r *ProgressRepo) Find(ctx context.Context, userID, courseID string, lectures []string) (*progress.Record, error) {
	uid, cid, ok := pair(userID, courseID)
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	doc, err := r.findDoc(ctx, uid, cid)
	if err != nil {
		return nil, err
	}
	rec := doc.toDomain()
	rec.Refresh(lectures)
	return rec, nil
}

func (r *ProgressRepo) findDoc(ctx context.Context, userID, courseID primitive.ObjectID) (*progressDoc, error) {
	var doc progressDoc
	err := r.c.FindOne(ctx, bson.M{"user": userID, "course": courseID}).Decode(&doc)
	if isNoDocuments(err) {
		return nil, progress.ErrRecordNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find progress: %w", err)
	}
	return &doc, nil
}

// Create stores a new record for the course's current lectures. A record
// that already exists (the unique (user, course) index says so) is read and
// returned instead, with created false.
func (r *ProgressRepo) Create(ctx context.Context, userID, courseID string, lectures []string, now time.Time) (*progress.Record, bool, error) {
	uid, cid, ok := pair(userID, courseID)
	if !ok {
		return nil, false, progress.ErrRecordNotFound
	}
	rec := progress.NewRecord(userID, courseID, lectures, now)
	doc := progressDocOf(primitive.NewObjectID(), uid, cid, rec, 1)
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		if !isDuplicateKey(err) {
			return nil, false, fmt.Errorf("insert progress: %w", err)
		}
		existing, err := r.findDoc(ctx, uid, cid)
		if err != nil {
			return nil, false, err
		}
		rec := existing.toDomain()
		rec.Refresh(lectures)
		return rec, false, nil
	}
	rec.ID = doc.ID.Hex()
	return rec, true, nil
}

// Update applies change to the user's record for the course; see
// progress.Repository.
func (r *ProgressRepo) Update(ctx context.Context, userID, courseID string, lectures []string, now time.Time, change func(*progress.Record) error) (*progress.Record, error) {
	uid, cid, ok := pair(userID, courseID)
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	return r.update(ctx, uid, cid, lectures, func(rec *progress.Record) error {
		if err := change(rec); err != nil {
			return err
		}
		rec.LastAccessed, rec.UpdatedAt = now, now
		return nil
	})
}

// update is the version-checked read-modify-write of one record. change
// runs on every attempt, on the record refreshed against current, and the
// record is refreshed again after it, which recomputes the percentage.
func (r *ProgressRepo) update(ctx context.Context, userID, courseID primitive.ObjectID, current []string,
	change func(*progress.Record) error,
) (*progress.Record, error) {
	unlock, err := r.locks.lock(ctx, userID.Hex()+"/"+courseID.Hex())
	if err != nil {
		return nil, err
	}
	defer unlock()
	for attempt := range progressWriteAttempts {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		doc, err := r.findDoc(ctx, userID, courseID)
		if err != nil {
			return nil, err
		}
		rec := doc.toDomain()
		rec.Refresh(current)
		if err := change(rec); err != nil {
			return nil, err
		}
		rec.Refresh(current)
		next := progressDocOf(doc.ID, doc.User, doc.Course, rec, doc.Version+1)
		res, err := r.c.ReplaceOne(ctx, bson.M{"_id": doc.ID, "version": doc.Version}, next)
		if err != nil {
			return nil, fmt.Errorf("replace progress: %w", err)
		}
		if res.MatchedCount == 1 {
			return rec, nil
		}
	}
	return nil, progress.ErrBusy
}

// backoff waits a random time that grows with the attempt, or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	limit := min(time.Duration(attempt)*time.Millisecond, progressBackoffMax)
	t := time.NewTimer(rand.N(limit) + time.Millisecond/2)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("retry progress write: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
