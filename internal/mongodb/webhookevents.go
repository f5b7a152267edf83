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

// Statuses of a webhook event record.
const (
	eventProcessing = "processing"
	eventProcessed  = "processed"
)

// maxEventErrorChars bounds the error text kept on an event record.
const maxEventErrorChars = 500

// WebhookEventRepo records processed webhook events in the webhookevents
// collection, one document per event id under a unique index.
type WebhookEventRepo struct {
	c *mongo.Collection
}

var _ payment.EventLog = (*WebhookEventRepo)(nil)

// NewWebhookEventRepo returns the webhook events repository.
func NewWebhookEventRepo(d *DB) *WebhookEventRepo {
	return &WebhookEventRepo{c: d.collection(eventsCollection)}
}

// webhookEventDoc is an event record. While processing, the delivery that
// holds token owns it until leaseUntil.
type webhookEventDoc struct {
	ID          primitive.ObjectID `bson:"_id"`
	EventID     string             `bson:"eventId"`
	Type        string             `bson:"type"`
	Status      string             `bson:"status"`
	Token       string             `bson:"token"`
	LeaseUntil  time.Time          `bson:"leaseUntil"`
	Attempts    int                `bson:"attempts"`
	LastError   string             `bson:"lastError,omitempty"`
	ProcessedAt *time.Time         `bson:"processedAt,omitempty"`
	CreatedAt   time.Time          `bson:"createdAt"`
	UpdatedAt   time.Time          `bson:"updatedAt"`
}

// Claim takes event id for the delivery holding token: a new record, or a
// record whose holder gave up or whose lease ran out.
func (r *WebhookEventRepo) Claim(ctx context.Context, id, eventType, token string, now time.Time, lease time.Duration) (payment.Claim, error) {
	for range 3 {
		_, err := r.c.InsertOne(ctx, webhookEventDoc{
			ID: primitive.NewObjectID(), EventID: id, Type: eventType, Status: eventProcessing,
			Token: token, LeaseUntil: now.Add(lease), Attempts: 1, CreatedAt: now, UpdatedAt: now,
		})
		if err == nil {
			return payment.ClaimAcquired, nil
		}
		if !isDuplicateKey(err) {
			return 0, fmt.Errorf("insert webhook event: %w", err)
		}
		var doc webhookEventDoc
		err = r.c.FindOneAndUpdate(ctx,
			bson.M{"eventId": id, "status": eventProcessing, "leaseUntil": bson.M{"$lte": now}},
			bson.M{"$set": bson.M{"token": token, "leaseUntil": now.Add(lease), "updatedAt": now}, "$inc": bson.M{"attempts": 1}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
		if err == nil {
			return payment.ClaimAcquired, nil
		}
		if !isNoDocuments(err) {
			return 0, fmt.Errorf("take over webhook event: %w", err)
		}
		err = r.c.FindOne(ctx, bson.M{"eventId": id}).Decode(&doc)
		switch {
		case err == nil && doc.Status == eventProcessed:
			return payment.ClaimDone, nil
		case err == nil:
			return payment.ClaimBusy, nil
		case !isNoDocuments(err):
			return 0, fmt.Errorf("find webhook event: %w", err)
		}
		// The record vanished in between: try again.
	}
	return payment.ClaimBusy, nil
}

// Finish marks the event processed.
func (r *WebhookEventRepo) Finish(ctx context.Context, id, token string, now time.Time) error {
	_, err := r.c.UpdateOne(ctx, bson.M{"eventId": id, "token": token},
		bson.M{"$set": bson.M{"status": eventProcessed, "processedAt": now, "updatedAt": now}})
	if err != nil {
		return fmt.Errorf("finish webhook event: %w", err)
	}
	return nil
}

// Release gives up a claim at once, keeping cause for operators.
func (r *WebhookEventRepo) Release(ctx context.Context, id, token, cause string) error {
	if len(cause) > maxEventErrorChars {
		cause = cause[:maxEventErrorChars]
	}
	_, err := r.c.UpdateOne(ctx, bson.M{"eventId": id, "token": token, "status": eventProcessing},
		bson.M{"$set": bson.M{"leaseUntil": time.Unix(0, 0).UTC(), "lastError": cause}})
	if err != nil {
		return fmt.Errorf("release webhook event: %w", err)
	}
	return nil
}

// Prune deletes the records of events processed before `before`; records
// still processing (leased, or released after a failure) stay.
func (r *WebhookEventRepo) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := r.c.DeleteMany(ctx, bson.M{"status": eventProcessed, "processedAt": bson.M{"$lt": before}})
	if err != nil {
		return 0, fmt.Errorf("prune webhook events: %w", err)
	}
	return res.DeletedCount, nil
}
