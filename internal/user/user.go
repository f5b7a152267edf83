// Package user holds accounts: sign-up, sign-in, sessions that really end,
// profiles, passwords and account deletion.
package user

import (
	"context"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/enrolment"
)

// User is an account.
type User struct {
	ID              string
	Name            string
	Email           string
	Role            auth.Role
	Avatar          string // storage key, "" when none
	Bio             string
	PasswordHash    string
	TokenVersion    int64
	EnrolledCourses []enrolment.Enrolment // read with the user; written only by package enrolment
	LastActive      time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// CourseSummary is what a profile shows of an enrolled course.
type CourseSummary struct {
	ID          string
	Title       string
	Thumbnail   string // storage key
	Description string
}

// ProfileChanges are the fields a user may change on their profile; nil
// leaves a field as it is.
type ProfileChanges struct {
	Name   *string
	Bio    *string
	Avatar *string // storage key of a new avatar
}

// Repository stores users. Not-found and duplicate-email errors are apperr
// kinds NotFound and Conflict.
type Repository interface {
	Create(ctx context.Context, u *User) error
	ByID(ctx context.Context, id string) (*User, error)
	ByEmail(ctx context.Context, email string) (*User, error)
	// EmailKey returns, in one read, the id of the user with this
	// normalised email and a copy of their password hash, which may be
	// stale: the user's own hash decides (Service.SignIn).
	EmailKey(ctx context.Context, email string) (*EmailKey, error)
	// UpdateProfile applies changes and returns the user as it was before
	// and after them.
	UpdateProfile(ctx context.Context, id string, c ProfileChanges, now time.Time) (before, after *User, err error)
	// SetPassword stores a new hash, drops any reset token and bumps the
	// token version; it returns the new version.
	SetPassword(ctx context.Context, id, hash string, now time.Time) (int64, error)
	// BumpTokenVersion revokes every token issued so far.
	BumpTokenVersion(ctx context.Context, id string) error
	SetResetToken(ctx context.Context, id, tokenHash string, expires time.Time) error
	// ConsumeResetToken atomically finds the user holding an unexpired
	// token with this hash, sets the new password hash, drops the token and
	// bumps the token version. Only one caller can consume a token.
	ConsumeResetToken(ctx context.Context, tokenHash, passwordHash string, now time.Time) (*User, error)
	// TouchLastActive records activity and returns the user after it.
	TouchLastActive(ctx context.Context, id string, now time.Time) (*User, error)
	// SetRole sets the role of the user with this email.
	SetRole(ctx context.Context, email string, role auth.Role, now time.Time) (*User, error)
	Delete(ctx context.Context, id string) error
}

// EmailKey is what sign-in reads first: the user an email belongs to and a
// copy of their password hash, so that a successful sign-in is two reads
// (this, and the user's as lastActive is set) however many users there are.
type EmailKey struct {
	UserID       string
	PasswordHash string
}

// Courses is what accounts need to know of the catalog.
type Courses interface {
	// Summaries returns the courses with these ids that exist, by id.
	Summaries(ctx context.Context, ids []string) (map[string]CourseSummary, error)
	// CountByInstructor counts the courses an instructor owns.
	CountByInstructor(ctx context.Context, instructorID string) (int64, error)
}

// ProgressEraser deletes a user's progress records.
type ProgressEraser interface {
	DeleteByUser(ctx context.Context, userID string) error
}

// CertificateEraser deletes a user's certificates (certificate.Service), so
// that their verification links answer not found once the account is gone.
type CertificateEraser interface {
	DeleteByUser(ctx context.Context, userID string) error
}

// ReviewEraser deletes a user's reviews and recounts the ratings of their
// courses (review.Service).
type ReviewEraser interface {
	DeleteByUser(ctx context.Context, userID string) error
}

// Enrolments removes a deleted user's enrolments (enrolment.Service).
type Enrolments interface {
	RemoveUser(ctx context.Context, userID string) error
}

// MediaRemover deletes stored media; failures are logged, never returned.
type MediaRemover interface {
	Remove(ctx context.Context, key string)
}

// Mailer sends password-reset links.
type Mailer interface {
	SendPasswordReset(ctx context.Context, to, name, link string) error
}
