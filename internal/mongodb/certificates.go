package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/certificate"
	"github.com/lms-backend/lms/internal/clock"
)

// CertificateRepo stores certificates. A certificate's _id is the string
// certificate.IDFor(user, course), so "one per user and course" is the
// primary key and the hot read is an _id lookup on both databases.
// Verification looks certificates up by verifyHash (unique index).
type CertificateRepo struct {
	c *mongo.Collection
}

var _ certificate.Repository = (*CertificateRepo)(nil)

// NewCertificateRepo returns the certificates repository.
func NewCertificateRepo(d *DB) *CertificateRepo {
	return &CertificateRepo{c: d.collection(certificatesCollection)}
}

type certificateDoc struct {
	ID             string         `bson:"_id"`
	User           string         `bson:"user"`
	Course         string         `bson:"course"`
	VerifyID       string         `bson:"verifyId"`
	VerifyHash     string         `bson:"verifyHash"`
	LearnerName    string         `bson:"learnerName"`
	CourseTitle    string         `bson:"courseTitle"`
	InstructorName string         `bson:"instructorName"`
	TotalDuration  float64        `bson:"totalDuration"`
	CompletedAt    time.Time      `bson:"completedAt"`
	IssuedAt       time.Time      `bson:"issuedAt"`
	Revocation     *revocationDoc `bson:"revocation"`
}

type revocationDoc struct {
	Reason string    `bson:"reason"`
	At     time.Time `bson:"at"`
	Refund bool      `bson:"refund,omitempty"`
}

func certificateToDoc(c *certificate.Certificate) certificateDoc {
	d := certificateDoc{
		ID: c.ID, User: c.UserID, Course: c.CourseID,
		VerifyID: c.VerifyID, VerifyHash: certificate.VerifyHash(c.VerifyID),
		LearnerName: c.LearnerName, CourseTitle: c.CourseTitle, InstructorName: c.InstructorName,
		TotalDuration: c.TotalDuration,
		CompletedAt:   clock.Truncate(c.CompletedAt), IssuedAt: clock.Truncate(c.IssuedAt),
	}
	if c.Revocation != nil {
		d.Revocation = &revocationDoc{Reason: c.Revocation.Reason, At: clock.Truncate(c.Revocation.At), Refund: c.Revocation.Refund}
	}
	return d
}

func (d *certificateDoc) toDomain() *certificate.Certificate {
	c := &certificate.Certificate{
		ID: d.ID, UserID: d.User, CourseID: d.Course, VerifyID: d.VerifyID,
		Snapshot: certificate.Snapshot{
			LearnerName: d.LearnerName, CourseTitle: d.CourseTitle, InstructorName: d.InstructorName,
			TotalDuration: d.TotalDuration, CompletedAt: d.CompletedAt.UTC(), IssuedAt: d.IssuedAt.UTC(),
		},
	}
	if d.Revocation != nil {
		c.Revocation = &certificate.Revocation{Reason: d.Revocation.Reason, At: d.Revocation.At.UTC(), Refund: d.Revocation.Refund}
	}
	return c
}

// Create stores c; certificate.ErrExists when its id is taken.
func (r *CertificateRepo) Create(ctx context.Context, c *certificate.Certificate) error {
	_, err := r.c.InsertOne(ctx, certificateToDoc(c))
	if isDuplicateKey(err) {
		return certificate.ErrExists.Wrap(err)
	}
	if err != nil {
		return fmt.Errorf("insert certificate: %w", err)
	}
	return nil
}

// ByID returns the certificate with this id.
func (r *CertificateRepo) ByID(ctx context.Context, id string) (*certificate.Certificate, error) {
	return r.findOne(ctx, bson.M{"_id": id})
}

// ByVerifyHash returns the certificate whose verification id has this hash.
func (r *CertificateRepo) ByVerifyHash(ctx context.Context, hash string) (*certificate.Certificate, error) {
	return r.findOne(ctx, bson.M{"verifyHash": hash})
}

func (r *CertificateRepo) findOne(ctx context.Context, filter bson.M) (*certificate.Certificate, error) {
	var doc certificateDoc
	err := r.c.FindOne(ctx, filter).Decode(&doc)
	if isNoDocuments(err) {
		return nil, certificate.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find certificate: %w", err)
	}
	return doc.toDomain(), nil
}

// ByUser returns the user's certificates, newest first.
func (r *CertificateRepo) ByUser(ctx context.Context, userID string) ([]certificate.Certificate, error) {
	cur, err := r.c.Find(ctx, bson.M{"user": userID},
		options.Find().SetSort(bson.D{{Key: "issuedAt", Value: -1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find certificates: %w", err)
	}
	var docs []certificateDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read certificates: %w", err)
	}
	out := make([]certificate.Certificate, len(docs))
	for i := range docs {
		out[i] = *docs[i].toDomain()
	}
	return out, nil
}

// SetRevocation revokes (rev non-nil) or reinstates (nil) the certificate
// and returns it afterwards. (An update then a read: FerretDB v1's
// findAndModify fails with a projection, and this keeps both databases on
// the same path.)
func (r *CertificateRepo) SetRevocation(ctx context.Context, id string, rev *certificate.Revocation) (*certificate.Certificate, error) {
	update := bson.M{"$set": bson.M{"revocation": nil}}
	if rev != nil {
		update = bson.M{"$set": bson.M{"revocation": revocationDoc{Reason: rev.Reason, At: clock.Truncate(rev.At), Refund: rev.Refund}}}
	}
	res, err := r.c.UpdateOne(ctx, bson.M{"_id": id}, update)
	if err != nil {
		return nil, fmt.Errorf("update certificate: %w", err)
	}
	if res.MatchedCount == 0 {
		return nil, certificate.ErrNotFound
	}
	return r.ByID(ctx, id)
}

// DeleteByUser deletes the user's certificates.
func (r *CertificateRepo) DeleteByUser(ctx context.Context, userID string) error {
	if _, err := r.c.DeleteMany(ctx, bson.M{"user": userID}); err != nil {
		return fmt.Errorf("delete certificates: %w", err)
	}
	return nil
}
