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

// UnmatchedRefundRepo keeps refunds whose purchase is unknown in the
// unmatchedrefunds collection, one document per charge (the charge id is
// the _id, so the write is an _id upsert on both databases).
type UnmatchedRefundRepo struct {
	c *mongo.Collection
}

var _ payment.UnmatchedRefunds = (*UnmatchedRefundRepo)(nil)

// NewUnmatchedRefundRepo returns the unmatched refunds repository.
func NewUnmatchedRefundRepo(d *DB) *UnmatchedRefundRepo {
	return &UnmatchedRefundRepo{c: d.collection(unmatchedCollection)}
}

type unmatchedDoc struct {
	ChargeID      string            `bson:"_id"`
	PaymentIntent string            `bson:"paymentIntent,omitempty"`
	EventID       string            `bson:"eventId"`
	AmountCents   int64             `bson:"amountCents"`
	RefundedCents int64             `bson:"refundedCents"`
	Currency      string            `bson:"currency"`
	Metadata      map[string]string `bson:"metadata,omitempty"`
	FirstSeen     time.Time         `bson:"firstSeen"`
	UpdatedAt     time.Time         `bson:"updatedAt"`
}

// Record stores the refund of r.ChargeID, or raises its refunded amount.
func (r *UnmatchedRefundRepo) Record(ctx context.Context, u payment.UnmatchedRefund) error {
	var doc unmatchedDoc
	err := r.c.FindOne(ctx, bson.M{"_id": u.ChargeID}).Decode(&doc)
	switch {
	case isNoDocuments(err):
		_, err = r.c.InsertOne(ctx, unmatchedDoc{
			ChargeID: u.ChargeID, PaymentIntent: u.PaymentIntentID, EventID: u.EventID, AmountCents: u.AmountCents,
			RefundedCents: u.RefundedCents, Currency: u.Currency, Metadata: u.Metadata, FirstSeen: u.FirstSeen, UpdatedAt: u.UpdatedAt,
		})
		if isDuplicateKey(err) {
			return r.Record(ctx, u) // a concurrent delivery inserted it first
		}
		if err != nil {
			return fmt.Errorf("insert unmatched refund: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("find unmatched refund: %w", err)
	case doc.RefundedCents >= u.RefundedCents:
		return nil
	}
	_, err = r.c.UpdateOne(ctx, bson.M{"_id": u.ChargeID, "refundedCents": bson.M{"$lt": u.RefundedCents}},
		bson.M{"$set": bson.M{"refundedCents": u.RefundedCents, "eventId": u.EventID, "updatedAt": u.UpdatedAt}})
	if err != nil {
		return fmt.Errorf("update unmatched refund: %w", err)
	}
	return nil
}

// Between returns the unmatched refunds first seen in [from, to).
func (r *UnmatchedRefundRepo) Between(ctx context.Context, from, to time.Time) ([]payment.UnmatchedRefund, error) {
	cur, err := r.c.Find(ctx, bson.M{"firstSeen": bson.M{"$gte": from, "$lt": to}},
		options.Find().SetSort(bson.D{{Key: "firstSeen", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find unmatched refunds: %w", err)
	}
	var docs []unmatchedDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read unmatched refunds: %w", err)
	}
	out := make([]payment.UnmatchedRefund, len(docs))
	for i, d := range docs {
		out[i] = payment.UnmatchedRefund{
			ChargeID: d.ChargeID, PaymentIntentID: d.PaymentIntent, EventID: d.EventID, AmountCents: d.AmountCents,
			RefundedCents: d.RefundedCents, Currency: d.Currency, Metadata: d.Metadata, FirstSeen: d.FirstSeen, UpdatedAt: d.UpdatedAt,
		}
	}
	return out, nil
}

// LedgerDirectory reads the course titles and buyer names the sales ledger
// shows (read-only over courses and users, which CourseRepo and UserRepo
// own).
type LedgerDirectory struct {
	courses, users *mongo.Collection
}

var _ payment.Directory = (*LedgerDirectory)(nil)

// NewLedgerDirectory returns the ledger's directory.
func NewLedgerDirectory(d *DB) *LedgerDirectory {
	return &LedgerDirectory{courses: d.collection(coursesCollection), users: d.collection(usersCollection)}
}

func (l *LedgerDirectory) titles(ctx context.Context, filter bson.M) (map[string]string, error) {
	cur, err := l.courses.Find(ctx, filter, options.Find().SetProjection(bson.M{"title": 1}))
	if err != nil {
		return nil, fmt.Errorf("find courses: %w", err)
	}
	var docs []struct {
		ID    primitive.ObjectID `bson:"_id"`
		Title string             `bson:"title"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read courses: %w", err)
	}
	out := make(map[string]string, len(docs))
	for _, d := range docs {
		out[d.ID.Hex()] = d.Title
	}
	return out, nil
}

// CourseTitles returns the titles of these courses, by id.
func (l *LedgerDirectory) CourseTitles(ctx context.Context, ids []string) (map[string]string, error) {
	oids := objectIDs(ids)
	if len(oids) == 0 {
		return map[string]string{}, nil
	}
	return l.titles(ctx, bson.M{"_id": bson.M{"$in": oids}})
}

// CoursesOf returns the titles of an instructor's courses, by id.
func (l *LedgerDirectory) CoursesOf(ctx context.Context, instructorID string) (map[string]string, error) {
	oid, err := primitive.ObjectIDFromHex(instructorID)
	if err != nil {
		return map[string]string{}, nil
	}
	return l.titles(ctx, bson.M{"instructor": oid})
}

// People returns the names and emails of these users, by id.
func (l *LedgerDirectory) People(ctx context.Context, ids []string) (map[string]payment.Person, error) {
	oids := objectIDs(ids)
	out := map[string]payment.Person{}
	if len(oids) == 0 {
		return out, nil
	}
	cur, err := l.users.Find(ctx, bson.M{"_id": bson.M{"$in": oids}}, options.Find().SetProjection(bson.M{"name": 1, "email": 1}))
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	var docs []struct {
		ID    primitive.ObjectID `bson:"_id"`
		Name  string             `bson:"name"`
		Email string             `bson:"email"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	for _, d := range docs {
		out[d.ID.Hex()] = payment.Person{Name: d.Name, Email: d.Email}
	}
	return out, nil
}
