package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/payment"
)

// PurchaseRepo stores purchases in the coursepurchases collection.
//
// At most one purchase per user and course may be pending: each purchase
// carries an openKey, "open:<user>:<course>" while pending and its own id
// otherwise, under a unique index. (A partial unique index would say this
// directly; FerretDB has none.) Every status change away from pending sets
// the key to the id in the same update.
type PurchaseRepo struct {
	c *mongo.Collection
}

var _ payment.Repository = (*PurchaseRepo)(nil)

// NewPurchaseRepo returns the purchases repository.
func NewPurchaseRepo(d *DB) *PurchaseRepo {
	return &PurchaseRepo{c: d.collection(purchaseCollection)}
}

// purchaseDoc is a purchase as stored.
type purchaseDoc struct {
	ID          primitive.ObjectID `bson:"_id"`
	Course      primitive.ObjectID `bson:"course"`
	User        primitive.ObjectID `bson:"user"`
	Amount      float64            `bson:"amount"` // USD, as the seed stored it
	AmountCents int64              `bson:"amountCents"`
	Currency    string             `bson:"currency"`
	Status      string             `bson:"status"`
	PaymentID   string             `bson:"paymentId"` // Checkout Session id
	SessionURL  string             `bson:"sessionUrl,omitempty"`
	// PaymentIntent is the payment intent that paid the session (absent
	// on purchases completed before it was recorded).
	PaymentIntent string `bson:"paymentIntent,omitempty"`
	// RefundedCents is the charge's amount_refunded (absent: none, or a
	// refund recorded before amounts were).
	RefundedCents int64      `bson:"refundedCents,omitempty"`
	RefundedAt    *time.Time `bson:"refundedAt,omitempty"`
	// ListPriceCents, DiscountCents, Coupon and CouponCode are set on
	// purchases made with a coupon (absent otherwise: the list price is
	// amountCents).
	ListPriceCents int64              `bson:"listPriceCents,omitempty"`
	DiscountCents  int64              `bson:"discountCents,omitempty"`
	Coupon         primitive.ObjectID `bson:"coupon,omitempty"`
	CouponCode     string             `bson:"couponCode,omitempty"`
	OpenKey        string             `bson:"openKey"`
	Flagged        bool               `bson:"flagged,omitempty"`
	FlagReason     string             `bson:"flagReason,omitempty"`
	CompletedAt    *time.Time         `bson:"completedAt,omitempty"`
	CreatedAt      time.Time          `bson:"createdAt"`
	UpdatedAt      time.Time          `bson:"updatedAt"`
}

func openKey(user, course primitive.ObjectID) string {
	return "open:" + user.Hex() + ":" + course.Hex()
}

func (d *purchaseDoc) toDomain() *payment.Purchase {
	p := &payment.Purchase{
		ID: d.ID.Hex(), CourseID: d.Course.Hex(), UserID: d.User.Hex(),
		Amount: d.Amount, AmountCents: d.AmountCents, Currency: d.Currency, Status: payment.Status(d.Status),
		PaymentID: d.PaymentID, SessionURL: d.SessionURL, Flagged: d.Flagged, FlagReason: d.FlagReason,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.CompletedAt != nil {
		p.CompletedAt = *d.CompletedAt
	}
	p.PaymentIntentID, p.RefundedCents = d.PaymentIntent, d.RefundedCents
	if d.RefundedAt != nil {
		p.RefundedAt = *d.RefundedAt
	}
	// Purchases stored by the Node API have the amount in dollars only.
	if p.AmountCents == 0 && p.Amount > 0 {
		p.AmountCents = payment.AmountCents(p.Amount)
	}
	p.DiscountCents, p.CouponCode = d.DiscountCents, d.CouponCode
	if !d.Coupon.IsZero() {
		p.CouponID = d.Coupon.Hex()
	}
	p.ListPriceCents = p.AmountCents + p.DiscountCents
	return p
}

// Create inserts p and sets its ID; a second pending purchase of the same
// user and course is payment.ErrPendingExists.
func (r *PurchaseRepo) Create(ctx context.Context, p *payment.Purchase) error {
	user, err := objectID(p.UserID, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	course, err := objectID(p.CourseID, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	doc := purchaseDoc{
		ID: primitive.NewObjectID(), Course: course, User: user,
		Amount: p.Amount, AmountCents: p.AmountCents, Currency: p.Currency, Status: string(p.Status),
		PaymentID: p.PaymentID, SessionURL: p.SessionURL, Flagged: p.Flagged, FlagReason: p.FlagReason,
		PaymentIntent: p.PaymentIntentID, RefundedCents: p.RefundedCents,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
	if p.CouponID != "" {
		if doc.Coupon, err = objectID(p.CouponID, payment.ErrPurchaseNotFound); err != nil {
			return err
		}
		doc.ListPriceCents, doc.DiscountCents, doc.CouponCode = p.ListPriceCents, p.DiscountCents, p.CouponCode
	}
	if !p.RefundedAt.IsZero() {
		t := p.RefundedAt
		doc.RefundedAt = &t
	}
	doc.OpenKey = doc.ID.Hex()
	if p.Status == payment.StatusPending {
		doc.OpenKey = openKey(user, course)
	}
	if !p.CompletedAt.IsZero() {
		t := p.CompletedAt
		doc.CompletedAt = &t
	}
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		if isDuplicateKey(err) {
			return payment.ErrPendingExists.Wrap(err)
		}
		return fmt.Errorf("insert purchase: %w", err)
	}
	p.ID = doc.ID.Hex()
	return nil
}

func (r *PurchaseRepo) findOne(ctx context.Context, filter bson.M) (*payment.Purchase, error) {
	var doc purchaseDoc
	if err := r.c.FindOne(ctx, filter).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, payment.ErrPurchaseNotFound
		}
		return nil, fmt.Errorf("find purchase: %w", err)
	}
	return doc.toDomain(), nil
}

// ByID finds a purchase by id.
func (r *PurchaseRepo) ByID(ctx context.Context, id string) (*payment.Purchase, error) {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return nil, err
	}
	return r.findOne(ctx, bson.M{"_id": oid})
}

// BySession finds the purchase of a Checkout Session.
func (r *PurchaseRepo) BySession(ctx context.Context, sessionID string) (*payment.Purchase, error) {
	if sessionID == "" {
		return nil, payment.ErrPurchaseNotFound
	}
	return r.findOne(ctx, bson.M{"paymentId": sessionID})
}

// pairIDs parses a user and course id; a malformed one is not found.
func pairIDs(userID, courseID string) (user, course primitive.ObjectID, err error) {
	if user, err = objectID(userID, payment.ErrPurchaseNotFound); err != nil {
		return user, course, err
	}
	course, err = objectID(courseID, payment.ErrPurchaseNotFound)
	return user, course, err
}

// Pending returns the pending purchase of a user and course.
func (r *PurchaseRepo) Pending(ctx context.Context, userID, courseID string) (*payment.Purchase, error) {
	user, course, err := pairIDs(userID, courseID)
	if err != nil {
		return nil, err
	}
	return r.findOne(ctx, bson.M{"openKey": openKey(user, course)})
}

// AttachSession stores the session of a pending purchase that has none yet.
func (r *PurchaseRepo) AttachSession(ctx context.Context, id string, s payment.Session, now time.Time) error {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.UpdateOne(ctx,
		bson.M{"_id": oid, "status": string(payment.StatusPending), "paymentId": ""},
		bson.M{"$set": bson.M{"paymentId": s.ID, "sessionUrl": s.URL, "updatedAt": now}})
	if err != nil {
		return fmt.Errorf("store session: %w", err)
	}
	if res.MatchedCount == 0 {
		return payment.ErrPurchaseNotFound
	}
	return nil
}

// DeleteUnstarted deletes a pending purchase that has no session.
func (r *PurchaseRepo) DeleteUnstarted(ctx context.Context, id string) error {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.DeleteOne(ctx, bson.M{"_id": oid, "status": string(payment.StatusPending), "paymentId": ""})
	if err != nil {
		return fmt.Errorf("delete purchase: %w", err)
	}
	if res.DeletedCount == 0 {
		return payment.ErrPurchaseNotFound
	}
	return nil
}

// Move sets the status to `to` if it is one of from, in one conditional
// update, and returns the purchase afterwards and whether it moved.
func (r *PurchaseRepo) Move(ctx context.Context, id string, from []payment.Status, to payment.Status, now time.Time) (*payment.Purchase, bool, error) {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return nil, false, err
	}
	in := make(bson.A, len(from))
	for i, s := range from {
		in[i] = string(s)
	}
	set := bson.M{"status": string(to), "updatedAt": now}
	if to != payment.StatusPending {
		set["openKey"] = oid.Hex()
	}
	if to == payment.StatusCompleted {
		set["completedAt"] = now
	}
	var doc purchaseDoc
	err = r.c.FindOneAndUpdate(ctx, bson.M{"_id": oid, "status": bson.M{"$in": in}}, bson.M{"$set": set},
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
	if isNoDocuments(err) {
		p, err := r.ByID(ctx, id)
		return p, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("update purchase: %w", err)
	}
	return doc.toDomain(), true, nil
}

// Flag marks a purchase for review.
func (r *PurchaseRepo) Flag(ctx context.Context, id, reason string, now time.Time) error {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": oid},
		bson.M{"$set": bson.M{"flagged": true, "flagReason": reason, "updatedAt": now}})
	if err != nil {
		return fmt.Errorf("flag purchase: %w", err)
	}
	if res.MatchedCount == 0 {
		return payment.ErrPurchaseNotFound
	}
	return nil
}

// HasCompleted reports whether the user has a completed purchase of the course.
func (r *PurchaseRepo) HasCompleted(ctx context.Context, userID, courseID string) (bool, error) {
	user, err := objectID(userID, payment.ErrPurchaseNotFound)
	if err != nil {
		return false, nil
	}
	course, err := objectID(courseID, payment.ErrPurchaseNotFound)
	if err != nil {
		return false, nil
	}
	n, err := r.c.CountDocuments(ctx,
		bson.M{"user": user, "course": course, "status": string(payment.StatusCompleted)},
		options.Count().SetLimit(1))
	if err != nil {
		return false, fmt.Errorf("count purchases: %w", err)
	}
	return n > 0, nil
}

// Completed returns the user's completed purchases, newest first.
func (r *PurchaseRepo) Completed(ctx context.Context, userID string) ([]payment.Purchase, error) {
	user, err := objectID(userID, payment.ErrPurchaseNotFound)
	if err != nil {
		return nil, nil
	}
	return r.find(ctx, bson.M{"user": user, "status": string(payment.StatusCompleted)},
		options.Find().SetSort(bson.D{{Key: "completedAt", Value: -1}, {Key: "_id", Value: -1}}))
}

// PendingBefore returns up to limit purchases pending since before
// `before`, with ids greater than afterID, by id.
func (r *PurchaseRepo) PendingBefore(ctx context.Context, before time.Time, afterID string, limit int) ([]payment.Purchase, error) {
	filter := bson.M{"status": string(payment.StatusPending), "createdAt": bson.M{"$lt": before}}
	return r.findAfter(ctx, filter, afterID, limit)
}

func (r *PurchaseRepo) find(ctx context.Context, filter bson.M, opts *options.FindOptions) ([]payment.Purchase, error) {
	cur, err := r.c.Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("find purchases: %w", err)
	}
	var docs []purchaseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read purchases: %w", err)
	}
	out := make([]payment.Purchase, len(docs))
	for i := range docs {
		out[i] = *docs[i].toDomain()
	}
	return out, nil
}

// ByPaymentIntent finds the purchase paid by a payment intent.
func (r *PurchaseRepo) ByPaymentIntent(ctx context.Context, paymentIntentID string) (*payment.Purchase, error) {
	if paymentIntentID == "" {
		return nil, payment.ErrPurchaseNotFound
	}
	return r.findOne(ctx, bson.M{"paymentIntent": paymentIntentID})
}

// Latest returns the newest purchase of a user and course.
func (r *PurchaseRepo) Latest(ctx context.Context, userID, courseID string) (*payment.Purchase, error) {
	user, course, err := pairIDs(userID, courseID)
	if err != nil {
		return nil, err
	}
	ps, err := r.find(ctx, bson.M{"user": user, "course": course},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(1))
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, payment.ErrPurchaseNotFound
	}
	return &ps[0], nil
}

// WithoutPaymentIntent returns paid purchases with a session and no payment
// intent, by id.
func (r *PurchaseRepo) WithoutPaymentIntent(ctx context.Context, afterID string, limit int) ([]payment.Purchase, error) {
	filter := bson.M{
		"status":        bson.M{"$in": bson.A{string(payment.StatusCompleted), string(payment.StatusRefunded)}},
		"paymentId":     bson.M{"$regex": "^cs_"},
		"paymentIntent": bson.M{"$exists": false},
	}
	return r.findAfter(ctx, filter, afterID, limit)
}

// SetPaymentIntent records the payment intent that paid a purchase.
func (r *PurchaseRepo) SetPaymentIntent(ctx context.Context, id, paymentIntentID string, now time.Time) error {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": oid},
		bson.M{"$set": bson.M{"paymentIntent": paymentIntentID, "updatedAt": now}})
	if err != nil {
		return fmt.Errorf("store payment intent: %w", err)
	}
	if res.MatchedCount == 0 {
		return payment.ErrPurchaseNotFound
	}
	return nil
}

// RaiseRefunded sets refundedCents to cents when that is more than stored,
// in one conditional update.
func (r *PurchaseRepo) RaiseRefunded(ctx context.Context, id string, cents int64, now time.Time) (bool, error) {
	oid, err := objectID(id, payment.ErrPurchaseNotFound)
	if err != nil {
		return false, err
	}
	res, err := r.c.UpdateOne(ctx,
		bson.M{"_id": oid, "$or": bson.A{
			bson.M{"refundedCents": bson.M{"$exists": false}},
			bson.M{"refundedCents": bson.M{"$lt": cents}},
		}},
		bson.M{"$set": bson.M{"refundedCents": cents, "refundedAt": now, "updatedAt": now}})
	if err != nil {
		return false, fmt.Errorf("store refund: %w", err)
	}
	return res.ModifiedCount > 0, nil
}

// salesFilter is the filter of a ledger query.
func salesFilter(q payment.SalesQuery) (bson.M, bool) {
	f := bson.M{}
	if q.CourseIDs != nil {
		ids := objectIDs(q.CourseIDs)
		if len(ids) == 0 {
			return nil, false
		}
		f["course"] = bson.M{"$in": ids}
	}
	if q.UserID != "" {
		user, err := objectID(q.UserID, payment.ErrPurchaseNotFound)
		if err != nil {
			return nil, false
		}
		f["user"] = user
	}
	if len(q.Statuses) > 0 {
		in := make(bson.A, len(q.Statuses))
		for i, s := range q.Statuses {
			in[i] = string(s)
		}
		f["status"] = bson.M{"$in": in}
	}
	if q.PaidOnly {
		// A 100 % coupon sale was paid nothing but is a sale.
		f["$or"] = bson.A{bson.M{"amount": bson.M{"$gt": 0}}, bson.M{"discountCents": bson.M{"$gt": 0}}}
	}
	created := bson.M{}
	if !q.From.IsZero() {
		created["$gte"] = q.From
	}
	if !q.To.IsZero() {
		created["$lt"] = q.To
	}
	if len(created) > 0 {
		f["createdAt"] = created
	}
	return f, true
}

// Sales returns one page of the purchases q selects, newest first, and
// their total.
func (r *PurchaseRepo) Sales(ctx context.Context, q payment.SalesQuery) ([]payment.Purchase, int64, error) {
	f, ok := salesFilter(q)
	if !ok {
		return []payment.Purchase{}, 0, nil
	}
	total, err := r.c.CountDocuments(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("count purchases: %w", err)
	}
	ps, err := r.find(ctx, f, options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetSkip(int64(max(q.Page-1, 0))*int64(q.Limit)).SetLimit(int64(q.Limit)))
	if err != nil {
		return nil, 0, err
	}
	return ps, total, nil
}

// SalesAfter returns up to limit purchases q selects with ids greater than
// afterID, by id.
func (r *PurchaseRepo) SalesAfter(ctx context.Context, q payment.SalesQuery, afterID string, limit int) ([]payment.Purchase, error) {
	f, ok := salesFilter(q)
	if !ok {
		return nil, nil
	}
	return r.findAfter(ctx, f, afterID, limit)
}

// findAfter returns up to limit purchases matching filter with ids greater
// than afterID ("" for from the start), by id: a page of a batched scan.
func (r *PurchaseRepo) findAfter(ctx context.Context, filter bson.M, afterID string, limit int) ([]payment.Purchase, error) {
	if afterID != "" {
		oid, err := objectID(afterID, payment.ErrPurchaseNotFound)
		if err != nil {
			return nil, err
		}
		filter["_id"] = bson.M{"$gt": oid}
	}
	return r.find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
}
