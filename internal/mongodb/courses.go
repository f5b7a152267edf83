package mongodb

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"golang.org/x/sync/errgroup"

	"github.com/lms-backend/lms/internal/course"
)

// CourseRepo stores courses in the courses collection.
type CourseRepo struct {
	c        *mongo.Collection
	lectures *mongo.Collection
	users    *mongo.Collection
	rev      catalogRevision // bumped by the writes that change a course's card

	renumbering func() // tests: called before a renumbering reads the lectures
}

var _ course.Repository = (*CourseRepo)(nil)

// NewCourseRepo returns the courses repository.
func NewCourseRepo(d *DB) *CourseRepo {
	return &CourseRepo{
		c: d.collection(coursesCollection), lectures: d.collection(lecturesCollection), users: d.collection(usersCollection),
		rev: newCatalogRevision(d),
	}
}

// CountByInstructor counts the courses an instructor owns.
func (r *CourseRepo) CountByInstructor(ctx context.Context, instructorID string) (int64, error) {
	oid, err := objectID(instructorID, course.ErrCourseNotFound)
	if err != nil {
		return 0, nil
	}
	n, err := r.c.CountDocuments(ctx, bson.M{"instructor": oid})
	if err != nil {
		return 0, fmt.Errorf("count courses: %w", err)
	}
	return n, nil
}

// courseDoc is a course as stored.
type courseDoc struct {
	ID            primitive.ObjectID   `bson:"_id"`
	Title         string               `bson:"title"`
	Subtitle      string               `bson:"subtitle"`
	Description   string               `bson:"description"`
	Category      string               `bson:"category"`
	Level         string               `bson:"level"`
	Price         float64              `bson:"price"`
	Thumbnail     string               `bson:"thumbnail"` // storage key
	Instructor    primitive.ObjectID   `bson:"instructor"`
	Lectures      []primitive.ObjectID `bson:"lectures"`   // ordered by lecture order
	LectureRev    int64                `bson:"lectureRev"` // bumped by every lecture write
	IsPublished   bool                 `bson:"isPublished"`
	TotalLectures int                  `bson:"totalLectures"`
	TotalDuration float64              `bson:"totalDuration"` // seconds
	EnrolledCount int                  `bson:"enrolledCount"`
	Rating        *ratingDoc           `bson:"rating,omitempty"` // kept by ReviewRepo.Recount
	CreatedAt     time.Time            `bson:"createdAt"`
	UpdatedAt     time.Time            `bson:"updatedAt"`

	// Sections and CurriculumVersion: see sections.go.
	Sections          []sectionDoc `bson:"sections,omitempty"`
	CurriculumVersion int64        `bson:"curriculumVersion,omitempty"`

	// LectureDocs is a copy of the course's lecture documents as its page
	// shows them, so that the page reads its lectures by the course's _id
	// (Lectures) instead of a filter on the lectures collection, which the
	// embedded database answers by decoding every lecture. The lectures
	// collection stays their owner; like the totals, the copy is derived:
	// AddLecture pushes the new lecture in the update that lists it, and
	// RefreshTotals (after every lecture write) and SetCurriculum store the
	// lectures that count, with the order the page shows, over the
	// lectureRev they read them at. A course without lectures stores an
	// empty array; a document stored before the copy has no field (nil)
	// and gets it on its first read.
	LectureDocs []lectureDoc `bson:"lectureDocs"`
}

// lectureDoc is a lecture as stored, in the lectures collection.
type lectureDoc struct {
	ID          primitive.ObjectID `bson:"_id"`
	Course      primitive.ObjectID `bson:"course"`
	Title       string             `bson:"title"`
	Description string             `bson:"description"`
	Video       string             `bson:"video"` // storage key
	Duration    float64            `bson:"duration"`
	IsPreview   bool               `bson:"isPreview"`
	Order       int                `bson:"order"`
	Captions    []captionDoc       `bson:"captions,omitempty"`
	CreatedAt   time.Time          `bson:"createdAt"`
	UpdatedAt   time.Time          `bson:"updatedAt"`
}

func (d *courseDoc) toDomain() course.Course {
	c := course.Course{
		ID: d.ID.Hex(), Title: d.Title, Subtitle: d.Subtitle, Description: d.Description, Category: d.Category,
		Level: d.Level, Price: d.Price, Thumbnail: d.Thumbnail, InstructorID: d.Instructor.Hex(),
		LectureIDs: make([]string, len(d.Lectures)), IsPublished: d.IsPublished, TotalLectures: d.TotalLectures,
		TotalDuration: d.TotalDuration, EnrolledCount: d.EnrolledCount, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.Rating != nil {
		c.RatingAverage, c.RatingCount, c.HasRating = d.Rating.Average, d.Rating.Count, true
	}
	for i, id := range d.Lectures {
		c.LectureIDs[i] = id.Hex()
	}
	c.Sections, c.CurriculumVersion = d.sections(), d.CurriculumVersion
	return c
}

func (d *lectureDoc) toDomain() course.Lecture {
	return course.Lecture{
		ID: d.ID.Hex(), CourseID: d.Course.Hex(), Title: d.Title, Description: d.Description, Video: d.Video,
		Duration: d.Duration, IsPreview: d.IsPreview, Order: d.Order, Captions: captionsOf(d.Captions),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

// CatalogRevision returns the revision of the published catalog: it
// changes after every write that changes what a published course's card
// shows (see catalogRevision).
func (r *CourseRepo) CatalogRevision(ctx context.Context) (int64, error) {
	return r.rev.read(ctx)
}

// Create inserts a course and sets its ID.
func (r *CourseRepo) Create(ctx context.Context, c *course.Course) error {
	instructor, err := objectID(c.InstructorID, course.ErrCourseNotFound)
	if err != nil {
		return err
	}
	doc := courseDoc{
		ID: primitive.NewObjectID(), Title: c.Title, Subtitle: c.Subtitle, Description: c.Description,
		Category: c.Category, Level: c.Level, Price: c.Price, Thumbnail: c.Thumbnail, Instructor: instructor,
		Lectures: []primitive.ObjectID{}, LectureDocs: []lectureDoc{}, IsPublished: c.IsPublished, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		return fmt.Errorf("insert course: %w", err)
	}
	if doc.IsPublished {
		r.rev.bump(ctx)
	}
	c.ID = doc.ID.Hex()
	return nil
}

// ByID finds a course.
func (r *CourseRepo) ByID(ctx context.Context, id string) (*course.Course, error) {
	oid, err := objectID(id, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	var doc courseDoc
	err = r.c.FindOne(ctx, bson.M{"_id": oid}, options.FindOne().SetProjection(withoutLectureCopy)).Decode(&doc)
	if err != nil {
		if isNoDocuments(err) {
			return nil, course.ErrCourseNotFound
		}
		return nil, fmt.Errorf("find course: %w", err)
	}
	c := doc.toDomain()
	return &c, nil
}

// withoutLectureCopy leaves the copy of a course's lectures, which only
// Lectures reads, out of course reads: MongoDB then does not send it (the
// embedded database still decodes it).
var withoutLectureCopy = bson.M{"lectureDocs": 0}

func (r *CourseRepo) find(ctx context.Context, filter bson.M, opts *options.FindOptions) ([]course.Course, error) {
	cur, err := r.c.Find(ctx, filter, opts.SetProjection(withoutLectureCopy))
	if err != nil {
		return nil, fmt.Errorf("find courses: %w", err)
	}
	var docs []courseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read courses: %w", err)
	}
	out := make([]course.Course, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

// Update sets the given fields.
func (r *CourseRepo) Update(ctx context.Context, id string, ch course.Changes, now time.Time) (before, after *course.Course, err error) {
	oid, err := objectID(id, course.ErrCourseNotFound)
	if err != nil {
		return nil, nil, err
	}
	set := bson.M{"updatedAt": now}
	setIf(set, "title", ch.Title)
	setIf(set, "subtitle", ch.Subtitle)
	setIf(set, "description", ch.Description)
	setIf(set, "category", ch.Category)
	setIf(set, "level", ch.Level)
	setIf(set, "thumbnail", ch.Thumbnail)
	if ch.Price != nil {
		set["price"] = *ch.Price
	}
	var doc courseDoc
	err = r.c.FindOneAndUpdate(ctx, bson.M{"_id": oid}, bson.M{"$set": set}).Decode(&doc)
	if isNoDocuments(err) {
		return nil, nil, course.ErrCourseNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("update course: %w", err)
	}
	if doc.IsPublished { // a draft's fields are on no card (a publish bumps)
		r.rev.bump(ctx)
	}
	b, a := doc.toDomain(), doc.toDomain()
	a.UpdatedAt = now
	applyIf(&a.Title, ch.Title)
	applyIf(&a.Subtitle, ch.Subtitle)
	applyIf(&a.Description, ch.Description)
	applyIf(&a.Category, ch.Category)
	applyIf(&a.Level, ch.Level)
	applyIf(&a.Thumbnail, ch.Thumbnail)
	applyIf(&a.Price, ch.Price)
	return &b, &a, nil
}

// applyIf sets *dst to *v when v is not nil: what an update's $set did to
// the document, without reading it again.
func applyIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func setIf(set bson.M, key string, v *string) {
	if v != nil {
		set[key] = *v
	}
}

// SetPublished publishes or unpublishes a course. Publishing a course
// without lectures is course.ErrNoLectures.
func (r *CourseRepo) SetPublished(ctx context.Context, id string, published bool, now time.Time) (*course.Course, error) {
	oid, err := objectID(id, course.ErrCourseNotFound)
	if err != nil {
		return nil, err
	}
	filter := bson.M{"_id": oid}
	if published {
		// Checked in the same update, so a lecture deleted meanwhile cannot
		// leave a published course without lectures.
		filter["totalLectures"] = bson.M{"$gt": 0}
	}
	var doc courseDoc
	err = r.c.FindOneAndUpdate(ctx, filter,
		bson.M{"$set": bson.M{"isPublished": published, "updatedAt": now}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	if isNoDocuments(err) {
		if _, err := r.ByID(ctx, id); err != nil {
			return nil, err
		}
		return nil, course.ErrNoLectures
	}
	if err != nil {
		return nil, fmt.Errorf("publish course: %w", err)
	}
	r.rev.bump(ctx)
	c := doc.toDomain()
	return &c, nil
}

// Delete removes a course that nobody is enrolled in.
func (r *CourseRepo) Delete(ctx context.Context, id string) error {
	oid, err := objectID(id, course.ErrCourseNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.DeleteOne(ctx, bson.M{"_id": oid, "enrolledCount": bson.M{"$lte": 0}})
	if err != nil {
		return fmt.Errorf("delete course: %w", err)
	}
	if res.DeletedCount == 1 {
		r.rev.bump(ctx)
		return nil
	}
	if _, err := r.ByID(ctx, id); err != nil {
		return err
	}
	return course.ErrHasStudents
}

// Find returns one page of matching courses and the number of all matches.
func (r *CourseRepo) Find(ctx context.Context, q course.Query) ([]course.Course, int64, error) {
	filter := bson.M{}
	if q.PublishedOnly {
		filter["isPublished"] = true
	}
	if q.InstructorID != "" {
		oid, err := objectID(q.InstructorID, course.ErrCourseNotFound)
		if err != nil {
			return nil, 0, nil
		}
		filter["instructor"] = oid
	}
	if q.Text != "" {
		re := literal(q.Text)
		filter["$or"] = bson.A{bson.M{"title": re}, bson.M{"subtitle": re}, bson.M{"description": re}, bson.M{"category": re}}
	}
	if q.Title != "" {
		filter["title"] = literal(q.Title)
	}
	if q.Category != "" {
		filter["category"] = literal(q.Category)
	}
	if q.Level != "" {
		filter["level"] = q.Level
	}
	price := bson.M{}
	if q.MinPrice != nil {
		price["$gte"] = *q.MinPrice
	}
	if q.MaxPrice != nil {
		price["$lte"] = *q.MaxPrice
	}
	if len(price) > 0 {
		filter["price"] = price
	}
	// 0 asks for nothing: unrated courses (no rating yet) match it too.
	if q.MinRating != nil && *q.MinRating > 0 {
		filter["rating.average"] = bson.M{"$gte": *q.MinRating}
	}
	total, err := r.c.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("count courses: %w", err)
	}
	opts := options.Find().SetSort(sortOf(q.Sort)).SetSkip(int64((q.Page - 1) * q.Limit)).SetLimit(int64(q.Limit))
	courses, err := r.find(ctx, filter, opts)
	return courses, total, err
}

// Published returns up to limit published courses, in no order.
func (r *CourseRepo) Published(ctx context.Context, limit int) ([]course.Course, error) {
	return r.find(ctx, bson.M{"isPublished": true}, options.Find().SetLimit(int64(limit)))
}

// literal matches s as a case-insensitive literal substring: user text is
// escaped, never run as a pattern.
func literal(s string) primitive.Regex {
	return primitive.Regex{Pattern: regexp.QuoteMeta(s), Options: "i"}
}

func sortOf(s string) bson.D {
	switch s {
	case course.SortOldest:
		return bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}
	case course.SortPriceAsc:
		return bson.D{{Key: "price", Value: 1}, {Key: "_id", Value: 1}}
	case course.SortPriceDesc:
		return bson.D{{Key: "price", Value: -1}, {Key: "_id", Value: -1}}
	case course.SortTitle:
		return bson.D{{Key: "title", Value: 1}, {Key: "_id", Value: 1}}
	case course.SortRating:
		return bson.D{{Key: "rating.average", Value: -1}, {Key: "rating.count", Value: -1}, {Key: "_id", Value: -1}}
	default:
		return bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}
	}
}

// Instructors returns the public profile of the users with these ids that
// exist. Each is an exact _id lookup, the one filter the embedded database
// answers without decoding every user (a $in would read them all). A page
// names a handful of distinct users, a snapshot of the catalog every
// instructor: up to instructorReads of the lookups run at once, which
// MongoDB serves in parallel (the embedded database's one connection takes
// them in turn).
func (r *CourseRepo) Instructors(ctx context.Context, ids []string) (map[string]course.Instructor, error) {
	var (
		mu  sync.Mutex
		out = map[string]course.Instructor{}
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(instructorReads)
	seen := map[primitive.ObjectID]bool{}
	for _, oid := range objectIDs(ids) {
		if seen[oid] {
			continue
		}
		seen[oid] = true
		g.Go(func() error {
			var doc struct {
				Name   string `bson:"name"`
				Avatar string `bson:"avatar"`
				Bio    string `bson:"bio"`
			}
			err := r.users.FindOne(gctx, bson.M{"_id": oid}, options.FindOne().SetProjection(bson.M{"name": 1, "avatar": 1, "bio": 1})).Decode(&doc)
			if isNoDocuments(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find instructor: %w", err)
			}
			mu.Lock()
			out[oid.Hex()] = course.Instructor{ID: oid.Hex(), Name: doc.Name, Avatar: doc.Avatar, Bio: doc.Bio}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// instructorReads bounds the concurrent lookups of one Instructors call.
const instructorReads = 8
