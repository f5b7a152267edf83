package mongodb

import (
	"context"
	"crypto/sha256"
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
// A record's _id is derived from its user and course (progressID), so that
// reading or writing one record is an exact _id lookup: the embedded
// database pushes only such filters down to SQL and decodes the whole
// collection for any other. The unique (user, course) index stays as the
// guard against a second record of a pair under another _id.
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
//
// On a handle that is the database's only writer (Options.SoleWriter: the
// embedded server), all repositories of the handle share the locks, so no
// write of the record can come between the read and the replace; the
// replace is then filtered by _id alone, which the embedded database finds
// without decoding the collection ({_id, version} makes it scan). The
// version is still counted, so that the records stay the same either way.
type ProgressRepo struct {
	db    *DB
	c     *mongo.Collection
	stash *mongo.Collection // records being moved to their derived _id
	locks *recordLocks
}

var (
	_ user.ProgressEraser = (*ProgressRepo)(nil)
	_ progress.Repository = (*ProgressRepo)(nil)
)

// NewProgressRepo returns the progress repository.
func NewProgressRepo(d *DB) *ProgressRepo {
	locks := &recordLocks{}
	if d.soleWriter {
		locks = &d.progressLocks
	}
	return &ProgressRepo{
		db:    d,
		c:     d.collection(progressCollection),
		stash: d.collection(progressStashCollection),
		locks: locks,
	}
}

// Retry bounds of a version-checked write. n writers on one record need at
// most n rounds (each round one of them wins); the jittered back-off spreads
// the losers out so that rounds are rarely wasted.
const (
	progressWriteAttempts = 64
	progressBackoffMax    = 20 * time.Millisecond
)

// progressID is the _id of the record of a user for a course: the first 12
// bytes of SHA-256(userHex ":" courseHex), an ObjectID, so that the record's
// id in responses stays a 24-hex string as it always was. A collision (one
// in 2^96 for two given pairs) would be reported as an error, never mix two
// records up (findDoc checks the pair).
func progressID(userID, courseID primitive.ObjectID) primitive.ObjectID {
	sum := sha256.Sum256([]byte(userID.Hex() + ":" + courseID.Hex()))
	var id primitive.ObjectID
	copy(id[:], sum[:len(id)])
	return id
}

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
	// Position and WatchedSeconds are absent from records written before
	// position reports existed: they read as 0.
	Position       float64 `bson:"position"`
	WatchedSeconds float64 `bson:"watchedSeconds"`
}

func (d *progressDoc) toDomain() *progress.Record {
	r := &progress.Record{
		ID: d.ID.Hex(), UserID: d.User.Hex(), CourseID: d.Course.Hex(),
		Lectures:             make([]progress.LectureProgress, len(d.LectureProgress)),
		CompletionPercentage: d.CompletionPercentage, IsCompleted: d.IsCompleted,
		LastAccessed: d.LastAccessed, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	for i, e := range d.LectureProgress {
		r.Lectures[i] = progress.LectureProgress{
			LectureID: e.Lecture.Hex(), IsCompleted: e.IsCompleted, LastWatched: e.LastWatched,
			Position: e.Position, WatchedSeconds: e.WatchedSeconds,
		}
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
		d.LectureProgress[i] = lectureProgressDoc{
			Lecture: lid, IsCompleted: e.IsCompleted, LastWatched: e.LastWatched,
			Position: e.Position, WatchedSeconds: e.WatchedSeconds,
		}
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
		_, err := r.update(ctx, d.User, cid, fixedLectures(current), func(rec *progress.Record) error {
			rec.UpdatedAt = now
			return nil
		})
		if err != nil && !errors.Is(err, progress.ErrRecordNotFound) {
			return fmt.Errorf("remove lecture from progress: %w", err)
		}
	}
	return nil
}

// ByUser returns the user's records, most recently accessed first, at most
// limit of them, not refreshed.
func (r *ProgressRepo) ByUser(ctx context.Context, userID string, limit int) ([]*progress.Record, error) {
	uid, err := primitive.ObjectIDFromHex(userID)
	if err != nil {
		return nil, nil
	}
	cur, err := r.c.Find(ctx, bson.M{"user": uid},
		options.Find().SetSort(bson.D{{Key: "lastAccessed", Value: -1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find progress of user: %w", err)
	}
	var docs []progressDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read progress of user: %w", err)
	}
	out := make([]*progress.Record, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
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

// findDoc reads the record of the pair by its derived _id. Until the
// database is migrated (DB.Migrate), a record not found there is looked
// for by the pair too, since it may still be under an old _id.
func (r *ProgressRepo) findDoc(ctx context.Context, userID, courseID primitive.ObjectID) (*progressDoc, error) {
	var doc progressDoc
	err := r.c.FindOne(ctx, bson.M{"_id": progressID(userID, courseID)}).Decode(&doc)
	if isNoDocuments(err) {
		if !r.db.migrated.Load() {
			return r.findLegacy(ctx, userID, courseID)
		}
		return nil, progress.ErrRecordNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find progress: %w", err)
	}
	if doc.User != userID || doc.Course != courseID {
		return nil, fmt.Errorf("progress %s: derived id of user %s and course %s names another record", doc.ID.Hex(), userID.Hex(), courseID.Hex())
	}
	return &doc, nil
}

// findLegacy reads the record of the pair by the pair: a scan of the
// collection on the embedded database, for records not yet migrated.
func (r *ProgressRepo) findLegacy(ctx context.Context, userID, courseID primitive.ObjectID) (*progressDoc, error) {
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
	doc := progressDocOf(progressID(uid, cid), uid, cid, rec, 1)
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		if !isDuplicateKey(err) {
			return nil, false, fmt.Errorf("insert progress: %w", err)
		}
		existing, err := r.findDoc(ctx, uid, cid)
		if errors.Is(err, progress.ErrRecordNotFound) {
			// The unique (user, course) index found a record under an old
			// _id (written by an older instance after the migration ran):
			// move it now.
			existing, err = r.moveLegacy(ctx, uid, cid)
		}
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
	return r.update(ctx, uid, cid, fixedLectures(lectures), accessed(change, now))
}

// UpdateAsStored is Update against the lectures the record has entries
// for; see progress.Repository.
func (r *ProgressRepo) UpdateAsStored(ctx context.Context, userID, courseID string, now time.Time, change func(*progress.Record) error) (*progress.Record, error) {
	uid, cid, ok := pair(userID, courseID)
	if !ok {
		return nil, progress.ErrRecordNotFound
	}
	return r.update(ctx, uid, cid, (*progress.Record).LectureIDs, accessed(change, now))
}

// accessed is change, then LastAccessed and UpdatedAt set to now.
// LastAccessed never moves back: a write stamped before the record's last
// one (a request that waited for the record's lock, or an instance whose
// clock is behind) would otherwise reopen wall time that position reports
// have already been credited with.
func accessed(change func(*progress.Record) error, now time.Time) func(*progress.Record) error {
	return func(rec *progress.Record) error {
		if err := change(rec); err != nil {
			return err
		}
		rec.LastAccessed, rec.UpdatedAt = later(rec.LastAccessed, now), now
		return nil
	}
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// fixedLectures gives update the course's current lectures as the caller
// read them.
func fixedLectures(ids []string) func(*progress.Record) []string {
	return func(*progress.Record) []string { return ids }
}

// update is the version-checked read-modify-write of one record. change
// runs on every attempt, on the record refreshed against the lectures
// lectures gives for the record as read, and the record is refreshed again
// after it, which recomputes the percentage.
func (r *ProgressRepo) update(ctx context.Context, userID, courseID primitive.ObjectID, lectures func(*progress.Record) []string,
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
		current := lectures(rec)
		rec.Refresh(current)
		if err := change(rec); err != nil {
			return nil, err
		}
		rec.Refresh(current)
		next := progressDocOf(doc.ID, doc.User, doc.Course, rec, doc.Version+1)
		filter := bson.M{"_id": doc.ID, "version": doc.Version}
		if r.db.soleWriter {
			filter = bson.M{"_id": doc.ID} // the shared lock keeps other writes out
		}
		res, err := r.c.ReplaceOne(ctx, filter, next)
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

// progressStashDoc is a copy of a progress record taken before it is
// deleted from its old _id, so that a move interrupted between the delete
// and the insert under the derived _id can be finished later. Its _id is
// the old _id and the version copied: several movers may copy the same
// record, and the one with the highest version is the one deleted.
type progressStashDoc struct {
	ID  string             `bson:"_id"` // oldHex ":" version
	Old primitive.ObjectID `bson:"old"`
	Doc progressDoc        `bson:"doc"`
}

// migrateIDs moves every record stored under another _id than the one
// derived from its pair (records written by older versions) to the derived
// one. It first finishes the moves an interrupted run left half done.
// Idempotent, and safe to run concurrently: see moveRecord.
func (r *ProgressRepo) migrateIDs(ctx context.Context) error {
	if err := r.finishStashed(ctx); err != nil {
		return err
	}
	cur, err := r.c.Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("list progress: %w", err)
	}
	var old []progressDoc
	for cur.Next(ctx) {
		var d progressDoc
		if err := cur.Decode(&d); err != nil {
			_ = cur.Close(ctx)
			return fmt.Errorf("read progress: %w", err)
		}
		if d.ID != progressID(d.User, d.Course) {
			old = append(old, d)
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("list progress: %w", err)
	}
	_ = cur.Close(ctx)
	for _, d := range old {
		if _, err := r.moveRecord(ctx, d); err != nil {
			return err
		}
	}
	// Copies left by movers that lost a race to a concurrent run.
	return r.finishStashed(ctx)
}

// moveLegacy moves the record of the pair that is under an old _id and
// returns it as moved.
func (r *ProgressRepo) moveLegacy(ctx context.Context, userID, courseID primitive.ObjectID) (*progressDoc, error) {
	d, err := r.findLegacy(ctx, userID, courseID)
	if err != nil {
		return nil, err
	}
	if d.ID == progressID(userID, courseID) {
		return d, nil
	}
	if _, err := r.moveRecord(ctx, *d); err != nil {
		return nil, err
	}
	return r.findDoc(ctx, userID, courseID)
}

// moveRecord moves d, as read, from its old _id to the derived one:
//
//  1. copy it to the stash (under old id and version);
//  2. delete it from its old _id if its version is still the one read —
//     otherwise a write changed it since (read it again and start over) or
//     another mover deleted it (that mover inserts it; done);
//  3. insert it under the derived _id (a duplicate means a mover got there
//     first: done);
//  4. drop its stash copies.
//
// Only the mover whose delete succeeded inserts, from exactly the version
// it deleted, so no write is lost between movers. A mover stopped between
// 2 and 3 leaves the stash copy, which finishStashed inserts later. It
// reports whether this call did the move.
//
// Known gap: a request that creates the pair's record in the one round
// trip between 2 and 3 (its fallback read by pair finds nothing then)
// wins, and the moved record is dropped as a duplicate. It needs a first
// write of that pair during that round trip of the start-up migration.
func (r *ProgressRepo) moveRecord(ctx context.Context, d progressDoc) (bool, error) {
	newID := progressID(d.User, d.Course)
	for {
		stashed := progressStashDoc{ID: fmt.Sprintf("%s:%d", d.ID.Hex(), d.Version), Old: d.ID, Doc: d}
		if _, err := r.stash.InsertOne(ctx, stashed); err != nil && !isDuplicateKey(err) {
			return false, fmt.Errorf("stash progress %s: %w", d.ID.Hex(), err)
		}
		res, err := r.c.DeleteOne(ctx, bson.M{"_id": d.ID, "version": d.Version})
		if err != nil {
			return false, fmt.Errorf("delete progress %s: %w", d.ID.Hex(), err)
		}
		if res.DeletedCount == 1 {
			break
		}
		var now progressDoc
		err = r.c.FindOne(ctx, bson.M{"_id": d.ID}).Decode(&now)
		if isNoDocuments(err) {
			return false, nil // another mover deleted it and inserts it
		}
		if err != nil {
			return false, fmt.Errorf("read progress %s: %w", d.ID.Hex(), err)
		}
		d = now
	}
	moved := d
	moved.ID = newID
	if _, err := r.c.InsertOne(ctx, moved); err != nil && !isDuplicateKey(err) {
		return false, fmt.Errorf("insert progress %s: %w", newID.Hex(), err)
	}
	if _, err := r.stash.DeleteMany(ctx, bson.M{"old": d.ID}); err != nil {
		return false, fmt.Errorf("unstash progress %s: %w", d.ID.Hex(), err)
	}
	return true, nil
}

// finishStashed finishes the moves that were interrupted: for every record
// copied to the stash that is no longer under its old _id, it inserts the
// highest version copied under the derived _id (a duplicate means it is
// there already) and drops the copies. Copies of records still under their
// old _id are left to the mover that holds them (or to the next run).
func (r *ProgressRepo) finishStashed(ctx context.Context) error {
	cur, err := r.stash.Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("list progress stash: %w", err)
	}
	var all []progressStashDoc
	if err := cur.All(ctx, &all); err != nil {
		return fmt.Errorf("read progress stash: %w", err)
	}
	latest := map[primitive.ObjectID]progressDoc{}
	for _, s := range all {
		if l, ok := latest[s.Old]; !ok || s.Doc.Version > l.Version {
			latest[s.Old] = s.Doc
		}
	}
	for old, d := range latest {
		err := r.c.FindOne(ctx, bson.M{"_id": old}).Err()
		if err == nil {
			continue
		}
		if !isNoDocuments(err) {
			return fmt.Errorf("read progress %s: %w", old.Hex(), err)
		}
		d.ID = progressID(d.User, d.Course)
		if _, err := r.c.InsertOne(ctx, d); err != nil && !isDuplicateKey(err) {
			return fmt.Errorf("insert progress %s: %w", d.ID.Hex(), err)
		}
		if _, err := r.stash.DeleteMany(ctx, bson.M{"old": old}); err != nil {
			return fmt.Errorf("unstash progress %s: %w", old.Hex(), err)
		}
	}
	return nil
}
