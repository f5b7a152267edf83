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
	// Event is what the delivery said, kept so that the event can be
	// applied later without it (payment.Service.SettleStale).
	Event *eventDataDoc `bson:"event,omitempty"`
}

// eventDataDoc is a kept payment.Event.
type eventDataDoc struct {
	ObjectID      string            `bson:"objectId"`
	PaymentStatus string            `bson:"paymentStatus,omitempty"`
	Amount        int64             `bson:"amount"`
	Currency      string            `bson:"currency,omitempty"`
	Metadata      map[string]string `bson:"metadata,omitempty"`
	Refunded      bool              `bson:"refunded,omitempty"`
}

func eventData(ev payment.Event) *eventDataDoc {
	return &eventDataDoc{ObjectID: ev.ObjectID, PaymentStatus: ev.PaymentStatus, Amount: ev.Amount,
		Currency: ev.Currency, Metadata: ev.Metadata, Refunded: ev.Refunded}
}

func (d webhookEventDoc) event() payment.Event {
	ev := payment.Event{ID: d.EventID, Type: d.Type}
	if e := d.Event; e != nil {
		ev.ObjectID, ev.PaymentStatus, ev.Amount, ev.Currency, ev.Metadata, ev.Refunded =
			e.ObjectID, e.PaymentStatus, e.Amount, e.Currency, e.Metadata, e.Refunded
	}
	return ev
}

// Claim takes event ev for the delivery holding token: a new record (which
// keeps ev), or a record whose holder gave up or whose lease ran out.
func (r *WebhookEventRepo) Claim(ctx context.Context, ev payment.Event, token string, now time.Time, lease time.Duration) (payment.Claim, error) {
	id := ev.ID
	for range 3 {
		_, err := r.c.InsertOne(ctx, webhookEventDoc{
			ID: primitive.NewObjectID(), EventID: id, Type: ev.Type, Status: eventProcessing,
			Token: token, LeaseUntil: now.Add(lease), Attempts: 1, CreatedAt: now, UpdatedAt: now,
			Event: eventData(ev),
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

// Stale returns up to limit claimed, unprocessed events whose lease ran out
// by now, oldest first. Records written before events were kept are left
// to Stripe's redelivery.
func (r *WebhookEventRepo) Stale(ctx context.Context, now time.Time, limit int) ([]payment.Event, error) {
	cur, err := r.c.Find(ctx, bson.M{"status": eventProcessing, "leaseUntil": bson.M{"$lte": now}, "event": bson.M{"$exists": true}},
		options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find stale webhook events: %w", err)
	}
	var docs []webhookEventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read stale webhook events: %w", err)
	}
	out := make([]payment.Event, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.event())
	}
	return out, nil
}
