package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/user"
)

// UserRepo stores users in the users collection and, with each user, a key
// document in useremails: _id the normalised email, the user's id and a
// copy of the password hash. The embedded database finds a document fast
// only by an exact _id, so sign-in reads the key and then the user by _id
// (user.Service.SignIn) instead of scanning the users by email.
//
// The unique email index of users stays the check that an email is taken,
// and the key follows the user: sign-up inserts the user, then writes the
// key (replacing a stale one), and removes the user again if that fails; a
// password change writes the user, then the key; a deletion removes the
// user, then the key. A write interrupted between the two leaves a missing
// or stale key, which Migrate repairs at the next start; sign-in lets
// nobody in on a stale hash (it checks the user's own) and a missing key
// only keeps that user out until then. Emails never change, so a key names
// either the user with its email or a deleted one.
type UserRepo struct {
	db   *DB
	c    *mongo.Collection
	keys *mongo.Collection
	rev  catalogRevision // an instructor's public profile is on their courses' cards
}

var _ user.Repository = (*UserRepo)(nil)

// NewUserRepo returns the users repository.
func NewUserRepo(d *DB) *UserRepo {
	return &UserRepo{db: d, c: d.collection(usersCollection), keys: d.collection(emailKeysCollection), rev: newCatalogRevision(d)}
}

// emailKeyDoc is the key document of an email.
type emailKeyDoc struct {
	Email    string             `bson:"_id"`
	User     primitive.ObjectID `bson:"user"`
	Password string             `bson:"password"`
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
	if err := r.putKey(ctx, doc.Email, doc.ID, doc.Password); err != nil {
		// Without its key the user could not sign in: take it back.
		if _, derr := r.c.DeleteOne(context.WithoutCancel(ctx), bson.M{"_id": doc.ID}); derr != nil {
			return errors.Join(err, fmt.Errorf("remove user without key: %w", derr))
		}
		return err
	}
	u.ID = doc.ID.Hex()
	return nil
}

// putKey writes the key document of an email, replacing any other.
func (r *UserRepo) putKey(ctx context.Context, email string, id primitive.ObjectID, hash string) error {
	filter, doc := bson.M{"_id": email}, bson.M{"user": id, "password": hash}
	opts := options.Replace().SetUpsert(true)
	_, err := r.keys.ReplaceOne(ctx, filter, doc, opts)
	if isDuplicateKey(err) {
		// Two upserts raced to insert it (MongoDB): now it exists.
		_, err = r.keys.ReplaceOne(ctx, filter, doc, opts)
	}
	if err != nil {
		return fmt.Errorf("write email key: %w", err)
	}
	return nil
}

// keyFollows writes the key of u after a change of its password.
func (r *UserRepo) keyFollows(ctx context.Context, u *user.User) error {
	oid, err := objectID(u.ID, user.ErrUserNotFound)
	if err != nil {
		return err
	}
	return r.putKey(ctx, u.Email, oid, u.PasswordHash)
}

// key reads the key document of an email: nil when there is none. Until
// the database is migrated, a user without one is looked for by email.
func (r *UserRepo) key(ctx context.Context, email string) (*emailKeyDoc, error) {
	var k emailKeyDoc
	err := r.keys.FindOne(ctx, bson.M{"_id": email}).Decode(&k)
	if err == nil {
		return &k, nil
	}
	if !isNoDocuments(err) {
		return nil, fmt.Errorf("find email key: %w", err)
	}
	if r.db.migrated.Load() {
		return nil, nil
	}
	var d userDoc
	err = r.c.FindOne(ctx, bson.M{"email": email}).Decode(&d)
	if isNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return &emailKeyDoc{Email: d.Email, User: d.ID, Password: d.Password}, nil
}

// EmailKey returns the user id and password hash the email's key holds.
func (r *UserRepo) EmailKey(ctx context.Context, email string) (*user.EmailKey, error) {
	k, err := r.key(ctx, email)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, user.ErrUserNotFound
	}
	return &user.EmailKey{UserID: k.User.Hex(), PasswordHash: k.Password}, nil
}

// migrateEmailKeys writes the key of every user that has none, or a stale
// one (Migrate). Keys of deleted users are left: they let nobody in, and
// telling them from the key of a user being created needs more than two
// snapshots.
func (r *UserRepo) migrateEmailKeys(ctx context.Context) error {
	var keys []emailKeyDoc
	cur, err := r.keys.Find(ctx, bson.M{})
	if err != nil {
		return fmt.Errorf("list email keys: %w", err)
	}
	if err := cur.All(ctx, &keys); err != nil {
		return fmt.Errorf("read email keys: %w", err)
	}
	byEmail := make(map[string]emailKeyDoc, len(keys))
	for _, k := range keys {
		byEmail[k.Email] = k
	}
	var users []userDoc
	cur, err = r.c.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"email": 1, "password": 1}))
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	if err := cur.All(ctx, &users); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	for _, u := range users {
		if k, ok := byEmail[u.Email]; ok && k.User == u.ID && k.Password == u.Password {
			continue
		}
		if err := r.putKey(ctx, u.Email, u.ID, u.Password); err != nil {
			return err
		}
	}
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

// ByEmail finds a user by normalised email, through the email's key.
func (r *UserRepo) ByEmail(ctx context.Context, email string) (*user.User, error) {
	k, err := r.key(ctx, email)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, user.ErrUserNotFound
	}
	u, err := r.findOne(ctx, bson.M{"_id": k.User})
	if err != nil {
		return nil, err
	}
	if u.Email != email {
		return nil, user.ErrUserNotFound
	}
	return u, nil
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
	r.rev.bump(ctx)
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
	if err := r.keyFollows(ctx, u); err != nil {
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
	u, err := r.update(ctx,
		bson.M{"resetPasswordToken": tokenHash, "resetPasswordExpires": bson.M{"$gt": now}},
		bson.M{
			"$set":   bson.M{"password": passwordHash, "updatedAt": now},
			"$unset": bson.M{"resetPasswordToken": "", "resetPasswordExpires": ""},
			"$inc":   bson.M{"tokenVersion": 1},
		}, true)
	if err != nil {
		return nil, err
	}
	if err := r.keyFollows(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// TouchLastActive records activity and returns the user after it.
func (r *UserRepo) TouchLastActive(ctx context.Context, id string, now time.Time) (*user.User, error) {
	return r.updateByID(ctx, id, bson.M{"$set": bson.M{"lastActive": now}}, true)
}

// SetRole sets the role of the user with this email, found through its
// key. The filter names the email too (a rare admin command: on the
// embedded database it may scan).
func (r *UserRepo) SetRole(ctx context.Context, email string, role auth.Role, now time.Time) (*user.User, error) {
	k, err := r.key(ctx, email)
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, user.ErrUserNotFound
	}
	return r.update(ctx, bson.M{"_id": k.User, "email": email}, bson.M{"$set": bson.M{"role": string(role), "updatedAt": now}}, true)
}

// Delete removes a user.
func (r *UserRepo) Delete(ctx context.Context, id string) error {
	oid, err := objectID(id, user.ErrUserNotFound)
	if err != nil {
		return err
	}
	var doc userDoc
	err = r.c.FindOneAndDelete(ctx, bson.M{"_id": oid}).Decode(&doc)
	if isNoDocuments(err) {
		return user.ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	r.rev.bump(ctx)
	// Only this user's key: a new account may have the email already. (A
	// rare write; on the embedded database the filter scans the keys.)
	if _, err := r.keys.DeleteOne(ctx, bson.M{"_id": doc.Email, "user": oid}); err != nil {
		return fmt.Errorf("delete email key: %w", err)
	}
	return nil
}
