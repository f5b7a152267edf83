package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/coupon"
)

// CouponRepo stores coupons in the coupons collection.
//
// A coupon's redemptions live in its own document, so that every change to
// them is one conditional single-document update: `used` (reserved + final)
// and `users.<userId>` (the same per user) are what the limits bound;
// `reserved` lists the purchases holding a reservation and `final` those
// whose redemption is final, so that release and finalisation each happen
// at most once per purchase.
type CouponRepo struct {
	c *mongo.Collection
}

var _ coupon.Repository = (*CouponRepo)(nil)

// NewCouponRepo returns the coupons repository.
func NewCouponRepo(d *DB) *CouponRepo {
	return &CouponRepo{c: d.collection(couponsCollection)}
}

type couponDoc struct {
	ID             primitive.ObjectID   `bson:"_id"`
	Code           string               `bson:"code"`
	Owner          primitive.ObjectID   `bson:"owner"`
	Site           bool                 `bson:"site"`
	Kind           string               `bson:"kind"`
	Value          int64                `bson:"value"`
	Courses        []primitive.ObjectID `bson:"courses"`
	StartsAt       *time.Time           `bson:"startsAt,omitempty"`
	ExpiresAt      *time.Time           `bson:"expiresAt,omitempty"`
	MaxRedemptions int64                `bson:"maxRedemptions"`
	PerUserLimit   int64                `bson:"perUserLimit"`
	Active         bool                 `bson:"active"`
	Used           int64                `bson:"used"`
	Redeemed       int64                `bson:"redeemed"`
	Users          map[string]int64     `bson:"users"`
	Reserved       []string             `bson:"reserved"`
	Final          []string             `bson:"final"`
	CreatedAt      time.Time            `bson:"createdAt"`
	UpdatedAt      time.Time            `bson:"updatedAt"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (d *couponDoc) toDomain() *coupon.Coupon {
	c := &coupon.Coupon{
		ID: d.ID.Hex(), Code: d.Code, OwnerID: d.Owner.Hex(), Site: d.Site, Kind: coupon.Kind(d.Kind), Value: d.Value,
		CourseIDs: make([]string, len(d.Courses)), MaxRedemptions: d.MaxRedemptions, PerUserLimit: d.PerUserLimit,
		Active: d.Active, Used: d.Used, Redeemed: d.Redeemed, UserUses: d.Users, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	for i, id := range d.Courses {
		c.CourseIDs[i] = id.Hex()
	}
	if d.StartsAt != nil {
		c.StartsAt = *d.StartsAt
	}
	if d.ExpiresAt != nil {
		c.ExpiresAt = *d.ExpiresAt
	}
	if c.UserUses == nil {
		c.UserUses = map[string]int64{}
	}
	return c
}

// Create inserts a coupon; the owner's second coupon with a code is
// coupon.ErrCodeTaken.
func (r *CouponRepo) Create(ctx context.Context, c *coupon.Coupon) error {
	owner, err := objectID(c.OwnerID, coupon.ErrNotFound)
	if err != nil {
		return err
	}
	doc := couponDoc{
		ID: primitive.NewObjectID(), Code: c.Code, Owner: owner, Site: c.Site, Kind: string(c.Kind), Value: c.Value,
		Courses: objectIDs(c.CourseIDs), StartsAt: optTime(c.StartsAt), ExpiresAt: optTime(c.ExpiresAt),
		MaxRedemptions: c.MaxRedemptions, PerUserLimit: c.PerUserLimit, Active: c.Active,
		Users: map[string]int64{}, Reserved: []string{}, Final: []string{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		if isDuplicateKey(err) {
			return coupon.ErrCodeTaken.Wrap(err)
		}
		return fmt.Errorf("insert coupon: %w", err)
	}
	c.ID = doc.ID.Hex()
	return nil
}

// ByID finds a coupon.
func (r *CouponRepo) ByID(ctx context.Context, id string) (*coupon.Coupon, error) {
	oid, err := objectID(id, coupon.ErrNotFound)
	if err != nil {
		return nil, err
	}
	var doc couponDoc
	if err := r.c.FindOne(ctx, bson.M{"_id": oid}, options.FindOne().SetProjection(withoutUseIDs)).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, coupon.ErrNotFound
		}
		return nil, fmt.Errorf("find coupon: %w", err)
	}
	return doc.toDomain(), nil
}

// withoutUseIDs leaves a coupon's purchase ids (reserved, final), which
// grow with every use and only conditional updates consult, out of reads.
var withoutUseIDs = bson.M{"reserved": 0, "final": 0}

func (r *CouponRepo) find(ctx context.Context, filter bson.M) ([]coupon.Coupon, error) {
	cur, err := r.c.Find(ctx, filter, options.Find().SetProjection(withoutUseIDs).SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("find coupons: %w", err)
	}
	var docs []couponDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read coupons: %w", err)
	}
	out := make([]coupon.Coupon, len(docs))
	for i := range docs {
		out[i] = *docs[i].toDomain()
	}
	return out, nil
}

// ByCode returns every coupon with this code.
func (r *CouponRepo) ByCode(ctx context.Context, code string) ([]coupon.Coupon, error) {
	return r.find(ctx, bson.M{"code": code})
}

// ByOwner returns an owner's coupons, newest first.
func (r *CouponRepo) ByOwner(ctx context.Context, ownerID string) ([]coupon.Coupon, error) {
	owner, err := objectID(ownerID, coupon.ErrNotFound)
	if err != nil {
		return []coupon.Coupon{}, nil
	}
	return r.find(ctx, bson.M{"owner": owner})
}

// Update applies ch; a new maxRedemptions only while used does not exceed
// it.
func (r *CouponRepo) Update(ctx context.Context, id string, ch coupon.Changes, now time.Time) (*coupon.Coupon, bool, error) {
	oid, err := objectID(id, coupon.ErrNotFound)
	if err != nil {
		return nil, false, err
	}
	filter := bson.M{"_id": oid}
	set := bson.M{"updatedAt": now}
	if ch.Active != nil {
		set["active"] = *ch.Active
	}
	if ch.ExpiresAt != nil {
		set["expiresAt"] = *ch.ExpiresAt
	}
	if ch.MaxRedemptions != nil {
		set["maxRedemptions"] = *ch.MaxRedemptions
		filter["used"] = bson.M{"$lte": *ch.MaxRedemptions}
	}
	res, err := r.c.UpdateOne(ctx, filter, bson.M{"$set": set})
	if err != nil {
		return nil, false, fmt.Errorf("update coupon: %w", err)
	}
	c, err := r.ByID(ctx, id)
	return c, res.MatchedCount > 0, err
}

// Delete deletes a coupon nobody used.
func (r *CouponRepo) Delete(ctx context.Context, id string) error {
	oid, err := objectID(id, coupon.ErrNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.DeleteOne(ctx, bson.M{"_id": oid, "used": 0, "redeemed": 0})
	if err != nil {
		return fmt.Errorf("delete coupon: %w", err)
	}
	if res.DeletedCount == 0 {
		if _, err := r.ByID(ctx, id); err != nil {
			return err
		}
		return coupon.ErrUsed
	}
	return nil
}

// Reserve counts a use in one conditional update.
func (r *CouponRepo) Reserve(ctx context.Context, c *coupon.Coupon, purchaseID, userID string, now time.Time) (bool, error) {
	oid, err := objectID(c.ID, coupon.ErrNotFound)
	if err != nil {
		return false, err
	}
	userKey := "users." + userID
	filter := bson.M{
		"_id": oid, "active": true, "maxRedemptions": c.MaxRedemptions, "perUserLimit": c.PerUserLimit,
		// $nor rather than $ne/$lt on a missing field: the form both
		// databases read alike.
		"$nor": bson.A{
			bson.M{userKey: bson.M{"$gte": c.PerUserLimit}},
			bson.M{"reserved": purchaseID},
			bson.M{"final": purchaseID},
		},
	}
	if c.MaxRedemptions > 0 {
		filter["used"] = bson.M{"$lt": c.MaxRedemptions}
	}
	res, err := r.c.UpdateOne(ctx, filter, bson.M{
		"$inc":  bson.M{"used": 1, userKey: 1},
		"$push": bson.M{"reserved": purchaseID},
		"$set":  bson.M{"updatedAt": now},
	})
	if err != nil {
		return false, fmt.Errorf("reserve coupon: %w", err)
	}
	return res.ModifiedCount > 0, nil
}

// Release takes back the reservation of purchaseID, if there is one.
func (r *CouponRepo) Release(ctx context.Context, id, purchaseID, userID string, now time.Time) error {
	oid, err := objectID(id, coupon.ErrNotFound)
	if err != nil {
		return err
	}
	_, err = r.c.UpdateOne(ctx, bson.M{"_id": oid, "reserved": purchaseID}, bson.M{
		"$inc":  bson.M{"used": -1, "users." + userID: -1},
		"$pull": bson.M{"reserved": purchaseID},
		"$set":  bson.M{"updatedAt": now},
	})
	if err != nil {
		return fmt.Errorf("release coupon: %w", err)
	}
	return nil
}

// Finalize moves purchaseID from reserved to final, or counts it anew when
// its reservation was released; a final one stays.
func (r *CouponRepo) Finalize(ctx context.Context, id, purchaseID, userID string, now time.Time) error {
	oid, err := objectID(id, coupon.ErrNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": oid, "reserved": purchaseID}, bson.M{
		"$inc":  bson.M{"redeemed": 1},
		"$pull": bson.M{"reserved": purchaseID},
		"$push": bson.M{"final": purchaseID},
		"$set":  bson.M{"updatedAt": now},
	})
	if err != nil {
		return fmt.Errorf("finalize coupon: %w", err)
	}
	if res.ModifiedCount > 0 {
		return nil
	}
	// Paid after its reservation was released: the money came, so the use
	// counts (even past the bound, which only gates new checkouts).
	_, err = r.c.UpdateOne(ctx, bson.M{"_id": oid, "$nor": bson.A{bson.M{"reserved": purchaseID}, bson.M{"final": purchaseID}}}, bson.M{
		"$inc":  bson.M{"used": 1, "redeemed": 1, "users." + userID: 1},
		"$push": bson.M{"final": purchaseID},
		"$set":  bson.M{"updatedAt": now},
	})
	if err != nil {
		return fmt.Errorf("finalize coupon: %w", err)
	}
	return nil
}
