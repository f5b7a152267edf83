package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/clock"
	"github.com/lms-backend/lms/internal/review"
)

// ReviewRepo stores reviews, and each course's rating summary in the
// course document (field rating). A review's _id is the string
// review.IDFor(user, course), so "one review per user and course" is the
// primary key and the caller's own review is an _id lookup.
type ReviewRepo struct {
	c       *mongo.Collection
	courses *mongo.Collection
	rev     catalogRevision // the rating summary is on the course's card
	// profiles reads the public profiles of users (CourseRepo.Instructors).
	profiles *CourseRepo
	// counted, when set (tests only), runs between a recount's read of
	// the reviews and its write of the summary.
	counted func()
}

var _ review.Repository = (*ReviewRepo)(nil)

// NewReviewRepo returns the reviews repository.
func NewReviewRepo(d *DB) *ReviewRepo {
	return &ReviewRepo{
		c: d.collection(reviewsCollection), courses: d.collection(coursesCollection), profiles: NewCourseRepo(d),
		rev: newCatalogRevision(d),
	}
}

type reviewDoc struct {
	ID          string             `bson:"_id"`
	Course      primitive.ObjectID `bson:"course"`
	User        primitive.ObjectID `bson:"user"`
	Rating      int                `bson:"rating"`
	Comment     string             `bson:"comment"`
	Hidden      bool               `bson:"hidden"`
	Refunded    bool               `bson:"refunded"`
	Reply       *replyDoc          `bson:"reply"`
	Reports     []reportDoc        `bson:"reports"`
	ReportCount int                `bson:"reportCount"`
	CreatedAt   time.Time          `bson:"createdAt"`
	UpdatedAt   time.Time          `bson:"updatedAt"`
}

type replyDoc struct {
	Text      string    `bson:"text"`
	CreatedAt time.Time `bson:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

type reportDoc struct {
	User   primitive.ObjectID `bson:"user"`
	Reason string             `bson:"reason"`
	At     time.Time          `bson:"at"`
}

// ratingDoc is a course's rating summary as stored on the course. Rev is
// the course's ratingRev when the recount that wrote it began.
type ratingDoc struct {
	Average   float64 `bson:"average"`
	Count     int     `bson:"count"`
	Sum       int     `bson:"sum"`
	Histogram []int   `bson:"histogram"` // [0] counts 1 star
	Rev       int64   `bson:"rev"`
}

func (d *reviewDoc) toDomain() review.Review {
	r := review.Review{
		ID: d.ID, CourseID: d.Course.Hex(), UserID: d.User.Hex(), Rating: d.Rating, Comment: d.Comment,
		Hidden: d.Hidden, Refunded: d.Refunded, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
	}
	if d.Reply != nil {
		r.Reply = &review.Reply{Text: d.Reply.Text, CreatedAt: d.Reply.CreatedAt.UTC(), UpdatedAt: d.Reply.UpdatedAt.UTC()}
	}
	for _, rep := range d.Reports {
		r.Reports = append(r.Reports, review.Report{UserID: rep.User.Hex(), Reason: rep.Reason, At: rep.At.UTC()})
	}
	return r
}

// Put creates the review, or replaces its rating and comment. Concurrent
// first writes of one user and course meet on the _id: one creates, the
// others (told "duplicate key" by MongoDB) replace.
func (r *ReviewRepo) Put(ctx context.Context, rv *review.Review) (bool, error) {
	user, course, ok := pair(rv.UserID, rv.CourseID)
	if !ok {
		return false, review.ErrNotFound
	}
	now := clock.Truncate(rv.UpdatedAt)
	update := bson.M{
		"$set": bson.M{"rating": rv.Rating, "comment": rv.Comment, "updatedAt": now},
		"$setOnInsert": bson.M{"course": course, "user": user, "hidden": false, "refunded": false, "reply": nil,
			"reports": bson.A{}, "reportCount": 0, "createdAt": clock.Truncate(rv.CreatedAt)},
	}
	for attempt := 0; ; attempt++ {
		res, err := r.c.UpdateOne(ctx, bson.M{"_id": rv.ID}, update, options.Update().SetUpsert(true))
		if isDuplicateKey(err) && attempt == 0 {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("put review: %w", err)
		}
		return res.UpsertedCount == 1, nil
	}
}

// ByID returns a review with its reviewer.
func (r *ReviewRepo) ByID(ctx context.Context, id string) (*review.Review, error) {
	var doc reviewDoc
	err := r.c.FindOne(ctx, bson.M{"_id": id}).Decode(&doc)
	if isNoDocuments(err) {
		return nil, review.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find review: %w", err)
	}
	list, err := r.withReviewers(ctx, []reviewDoc{doc})
	if err != nil {
		return nil, err
	}
	return &list[0], nil
}

// Delete deletes a review.
func (r *ReviewRepo) Delete(ctx context.Context, id string) (bool, error) {
	res, err := r.c.DeleteOne(ctx, bson.M{"_id": id})
	if err != nil {
		return false, fmt.Errorf("delete review: %w", err)
	}
	return res.DeletedCount == 1, nil
}

// List returns one page of a course's visible reviews.
func (r *ReviewRepo) List(ctx context.Context, q review.Query) ([]review.Review, int64, error) {
	course, err := objectID(q.CourseID, review.ErrNotFound)
	if err != nil {
		return nil, 0, nil
	}
	filter := bson.M{"course": course, "hidden": false, "refunded": false}
	if q.Rating != 0 {
		filter["rating"] = q.Rating
	}
	var sort bson.D
	switch q.Sort {
	case review.SortOldest:
		sort = bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}
	case review.SortHighest:
		sort = bson.D{{Key: "rating", Value: -1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}
	case review.SortLowest:
		sort = bson.D{{Key: "rating", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}
	default:
		sort = bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}
	}
	return r.page(ctx, filter, sort, q.Page, q.Limit)
}

// Reported returns one page of reported reviews, most reported first.
func (r *ReviewRepo) Reported(ctx context.Context, page, limit int) ([]review.Review, int64, error) {
	return r.page(ctx, bson.M{"reportCount": bson.M{"$gt": 0}},
		bson.D{{Key: "reportCount", Value: -1}, {Key: "updatedAt", Value: -1}, {Key: "_id", Value: 1}}, page, limit)
}

func (r *ReviewRepo) page(ctx context.Context, filter bson.M, sort bson.D, page, limit int) ([]review.Review, int64, error) {
	total, err := r.c.CountDocuments(ctx, filter)
	if err != nil {
		return nil, 0, fmt.Errorf("count reviews: %w", err)
	}
	docs, err := r.find(ctx, filter, options.Find().SetSort(sort).SetSkip(int64((page-1)*limit)).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, err
	}
	list, err := r.withReviewers(ctx, docs)
	return list, total, err
}

func (r *ReviewRepo) find(ctx context.Context, filter bson.M, opts *options.FindOptions) ([]reviewDoc, error) {
	cur, err := r.c.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find reviews: %w", err)
	}
	var docs []reviewDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read reviews: %w", err)
	}
	return docs, nil
}

// withReviewers adds the name and avatar of the reviewers: one _id read per
// distinct reviewer (CourseRepo.Instructors, the public profiles that course
// pages show of instructors).
func (r *ReviewRepo) withReviewers(ctx context.Context, docs []reviewDoc) ([]review.Review, error) {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.User.Hex()
	}
	profiles, err := r.profiles.Instructors(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("reviewers: %w", err)
	}
	out := make([]review.Review, len(docs))
	for i := range docs {
		p := profiles[ids[i]]
		out[i] = docs[i].toDomain()
		out[i].Reviewer = review.Reviewer{ID: ids[i], Name: p.Name, Avatar: p.Avatar}
	}
	return out, nil
}

// ByUser returns the user's reviews.
func (r *ReviewRepo) ByUser(ctx context.Context, userID string) ([]review.Review, error) {
	user, err := objectID(userID, review.ErrNotFound)
	if err != nil {
		return nil, nil
	}
	docs, err := r.find(ctx, bson.M{"user": user}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]review.Review, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

// SetHidden hides or unhides a review.
func (r *ReviewRepo) SetHidden(ctx context.Context, id string, hidden bool) error {
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"hidden": hidden}})
	if err != nil {
		return fmt.Errorf("hide review: %w", err)
	}
	if res.MatchedCount == 0 {
		return review.ErrNotFound
	}
	return nil
}

// SetRefunded sets the review's refunded mark when it differs.
func (r *ReviewRepo) SetRefunded(ctx context.Context, id string, refunded bool) (bool, error) {
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": id, "refunded": !refunded}, bson.M{"$set": bson.M{"refunded": refunded}})
	if err != nil {
		return false, fmt.Errorf("mark review refunded: %w", err)
	}
	return res.ModifiedCount == 1, nil
}

// SetReply creates or replaces the review's reply, keeping its first
// creation time.
func (r *ReviewRepo) SetReply(ctx context.Context, id, text string, now time.Time) (bool, error) {
	now = clock.Truncate(now)
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": id, "reply": nil},
		bson.M{"$set": bson.M{"reply": replyDoc{Text: text, CreatedAt: now, UpdatedAt: now}}})
	if err != nil {
		return false, fmt.Errorf("add reply: %w", err)
	}
	if res.ModifiedCount == 1 {
		return true, nil
	}
	res, err = r.c.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"reply.text": text, "reply.updatedAt": now}})
	if err != nil {
		return false, fmt.Errorf("replace reply: %w", err)
	}
	if res.MatchedCount == 0 {
		return false, review.ErrNotFound
	}
	return false, nil
}

// AddReport adds a report unless the user reported the review before, in
// one conditional update.
func (r *ReviewRepo) AddReport(ctx context.Context, id string, rep review.Report) (bool, error) {
	user, err := objectID(rep.UserID, review.ErrNotFound)
	if err != nil {
		return false, err
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": id, "$nor": bson.A{bson.M{"reports.user": user}}},
		bson.M{"$push": bson.M{"reports": reportDoc{User: user, Reason: rep.Reason, At: clock.Truncate(rep.At)}},
			"$inc": bson.M{"reportCount": 1}})
	if err != nil {
		return false, fmt.Errorf("add report: %w", err)
	}
	if res.ModifiedCount == 1 {
		return true, nil
	}
	// Reported already, or no such review (whose reviewer need not be read).
	err = r.c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if isNoDocuments(err) {
		return false, review.ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("find review: %w", err)
	}
	return false, nil
}

// Recount recomputes the course's summary from its visible reviews. It
// first bumps the course's ratingRev and then writes the summary only if
// the stored one began at an older rev. Every write of a review is
// followed by a recount, and a recount that began at rev n sees every
// write whose recount began at or before n (each wrote its review before
// bumping); so the summary left standing, the one of the highest rev,
// counts every review write. No transaction, two single-document updates.
func (r *ReviewRepo) Recount(ctx context.Context, courseID string) error {
	course, err := objectID(courseID, review.ErrNotFound)
	if err != nil {
		return nil
	}
	var bumped struct {
		Rev int64 `bson:"ratingRev"`
	}
	err = r.courses.FindOneAndUpdate(ctx, bson.M{"_id": course}, bson.M{"$inc": bson.M{"ratingRev": 1}},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&bumped)
	if isNoDocuments(err) {
		return nil // the course is gone; so is its summary
	}
	if err != nil {
		return fmt.Errorf("bump rating revision: %w", err)
	}
	docs, err := r.find(ctx, bson.M{"course": course, "hidden": false, "refunded": false},
		options.Find().SetProjection(bson.M{"rating": 1}))
	if err != nil {
		return err
	}
	var s review.Summary
	for _, d := range docs {
		s.Add(d.Rating)
	}
	if r.counted != nil {
		r.counted()
	}
	_, err = r.courses.UpdateOne(ctx,
		bson.M{"_id": course, "$or": bson.A{bson.M{"rating.rev": bson.M{"$lt": bumped.Rev}}, bson.M{"rating": bson.M{"$exists": false}}}},
		bson.M{"$set": bson.M{"rating": ratingDoc{Average: s.Average(), Count: s.Count(), Sum: s.Sum(), Histogram: s.Histogram[:], Rev: bumped.Rev}}})
	if err != nil {
		return fmt.Errorf("store rating summary: %w", err)
	}
	r.rev.bump(ctx)
	return nil
}

// Summary returns the summary stored on the course; zero before its first
// review.
func (r *ReviewRepo) Summary(ctx context.Context, courseID string) (review.Summary, error) {
	var s review.Summary
	course, err := objectID(courseID, review.ErrNotFound)
	if err != nil {
		return s, nil
	}
	var doc struct {
		Rating *ratingDoc `bson:"rating"`
	}
	err = r.courses.FindOne(ctx, bson.M{"_id": course}, options.FindOne().SetProjection(bson.M{"rating": 1})).Decode(&doc)
	if err != nil && !isNoDocuments(err) {
		return s, fmt.Errorf("find rating summary: %w", err)
	}
	if doc.Rating != nil {
		copy(s.Histogram[:], doc.Rating.Histogram)
	}
	return s, nil
}
