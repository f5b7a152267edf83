package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/user"
)

// UserRepo stores users in the users collection.
type UserRepo struct {
	c *mongo.Collection
}

var _ user.Repository = (*UserRepo)(nil)

// NewUserRepo returns the users repository.
func NewUserRepo(d *DB) *UserRepo {
	return &UserRepo{c: d.collection(usersCollection)}
}

type userDoc struct {
	ID                primitive.ObjectID `bson:"_id"`
	Name              string             `bson:"name"`
	Email             string             `bson:"email"`
	Role              string             `bson:"role"`
	Avatar            string             `bson:"avatar"`
	Bio               string             `bson:"bio"`
	Password          string             `bson:"password"`
	TokenVersion      int64              `bson:"tokenVersion"`
	EnrolledCourses   []enrollmentDoc    `bson:"enrolledCourses"`
	ResetTokenHash    string             `bson:"resetPasswordToken,omitempty"`
	ResetTokenExpires *time.Time         `bson:"resetPasswordExpires,omitempty"`
	LastActive        time.Time          `bson:"lastActive"`
	CreatedAt         time.Time          `bson:"createdAt"`
	UpdatedAt         time.Time          `bson:"updatedAt"`
}

type enrollmentDoc struct {
	Course     primitive.ObjectID `bson:"course"`
	EnrolledAt time.Time          `bson:"enrolledAt"`
}

func (d *userDoc) toDomain() *user.User {
	u := &user.User{
		ID: d.ID.Hex(), Name: d.Name, Email: d.Email, Role: auth.Role(d.Role), Avatar: d.Avatar, Bio: d.Bio,
		PasswordHash: d.Password, TokenVersion: d.TokenVersion,
		LastActive: d.LastActive, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		EnrolledCourses: enrolmentsOf(d.EnrolledCourses),
	}
	return u
}

// Create inserts u and sets its ID.
func (r *UserRepo) Create(ctx context.Context, u *user.User) error {
	doc := userDoc{
		ID: primitive.NewObjectID(), Name: u.Name, Email: u.Email, Role: string(u.Role), Avatar: u.Avatar, Bio: u.Bio,
		Password: u.PasswordHash, TokenVersion: u.TokenVersion, EnrolledCourses: []enrollmentDoc{},
		LastActive: u.LastActive, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	if _, err := r.c.InsertOne(ctx, doc); err != nil {
		if isDuplicateKey(err) {
			return user.ErrEmailTaken.Wrap(err)
		}
		return fmt.Errorf("insert user: %w", err)
	}
	u.ID = doc.ID.Hex()
	return nil
}

func (r *UserRepo) findOne(ctx context.Context, filter bson.M, opts ...*options.FindOneOptions) (*user.User, error) {
	var doc userDoc
	if err := r.c.FindOne(ctx, filter, opts...).Decode(&doc); err != nil {
		if isNoDocuments(err) {
			return nil, user.ErrUserNotFound
		}
		return nil, fmt.Errorf("find user: %w", err)
	}
	return doc.toDomain(), nil
}

// ByID finds a user by id.
func (r *UserRepo) ByID(ctx context.Context, id string) (*user.User, error) {
	oid, err := objectID(id, user.ErrUserNotFound)
	if err != nil {
		return nil, err
	}
	return r.findOne(ctx, bson.M{"_id": oid})
}

// ByEmail finds a user by normalised email.
func (r *UserRepo) ByEmail(ctx context.Context, email string) (*user.User, error) {
	return r.findOne(ctx, bson.M{"email": email})
}

// update applies update to the user with this id and returns the document
// as it was before or after.
func (r *UserRepo) update(ctx context.Context, filter bson.M, update bson.M, after bool) (*user.User, error) {
	rd := options.Before
	if after {
		rd = options.After
	}
	var doc userDoc
	err := r.c.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(rd)).Decode(&doc)
	if isNoDocuments(err) {
		return nil, user.ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return doc.toDomain(), nil
}

func (r *UserRepo) updateByID(ctx context.Context, id string, update bson.M, after bool) (*user.User, error) {
	oid, err := objectID(id, user.ErrUserNotFound)
	if err != nil {
		return nil, err
	}
	return r.update(ctx, bson.M{"_id": oid}, update, after)
}

// UpdateProfile sets the given profile fields.
func (r *UserRepo) UpdateProfile(ctx context.Context, id string, c user.ProfileChanges, now time.Time) (before, after *user.User, err error) {
	set := bson.M{"updatedAt": now}
	if c.Name != nil {
		set["name"] = *c.Name
	}
	if c.Bio != nil {
		set["bio"] = *c.Bio
	}
	if c.Avatar != nil {
		set["avatar"] = *c.Avatar
	}
	before, err = r.updateByID(ctx, id, bson.M{"$set": set}, false)
	if err != nil {
		return nil, nil, err
	}
	a := *before
	a.UpdatedAt = now
	applyIf(&a.Name, c.Name)
	applyIf(&a.Bio, c.Bio)
	applyIf(&a.Avatar, c.Avatar)
	return before, &a, nil
}

// SetPassword stores a new password hash and revokes older tokens.
func (r *UserRepo) SetPassword(ctx context.Context, id, hash string, now time.Time) (int64, error) {
	u, err := r.updateByID(ctx, id, bson.M{
		"$set":   bson.M{"password": hash, "updatedAt": now},
		"$unset": bson.M{"resetPasswordToken": "", "resetPasswordExpires": ""},
		"$inc":   bson.M{"tokenVersion": 1},
	}, true)
	if err != nil {
		return 0, err
	}
	return u.TokenVersion, nil
}

// BumpTokenVersion revokes every token of the user issued so far.
func (r *UserRepo) BumpTokenVersion(ctx context.Context, id string) error {
	_, err := r.updateByID(ctx, id, bson.M{"$inc": bson.M{"tokenVersion": 1}}, true)
	return err
}

// SetResetToken stores the hash of a reset token, replacing any older one.
func (r *UserRepo) SetResetToken(ctx context.Context, id, tokenHash string, expires time.Time) error {
	_, err := r.updateByID(ctx, id, bson.M{"$set": bson.M{"resetPasswordToken": tokenHash, "resetPasswordExpires": expires}}, true)
	return err
}

// ConsumeResetToken uses up an unexpired reset token and sets the password.
func (r *UserRepo) ConsumeResetToken(ctx context.Context, tokenHash, passwordHash string, now time.Time) (*user.User, error) {
	return r.update(ctx,
		bson.M{"resetPasswordToken": tokenHash, "resetPasswordExpires": bson.M{"$gt": now}},
		bson.M{
			"$set":   bson.M{"password": passwordHash, "updatedAt": now},
			"$unset": bson.M{"resetPasswordToken": "", "resetPasswordExpires": ""},
			"$inc":   bson.M{"tokenVersion": 1},
		}, true)
}

// TouchLastActive records activity.
func (r *UserRepo) TouchLastActive(ctx context.Context, id string, now time.Time) error {
	_, err := r.updateByID(ctx, id, bson.M{"$set": bson.M{"lastActive": now}}, true)
	return err
}

// SetRole sets the role of the user with this email.
func (r *UserRepo) SetRole(ctx context.Context, email string, role auth.Role, now time.Time) (*user.User, error) {
	return r.update(ctx, bson.M{"email": email}, bson.M{"$set": bson.M{"role": string(role), "updatedAt": now}}, true)
}

// Delete removes a user.
func (r *UserRepo) Delete(ctx context.Context, id string) error {
	oid, err := objectID(id, user.ErrUserNotFound)
	if err != nil {
		return err
	}
	res, err := r.c.DeleteOne(ctx, bson.M{"_id": oid})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if res.DeletedCount == 0 {
		return user.ErrUserNotFound
	}
	return nil
}
