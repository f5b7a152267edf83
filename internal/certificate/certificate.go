// Package certificate issues certificates of completion: a snapshot of what
// was completed, by whom, taken at issue time, with a random public
// verification id that anyone may check. A certificate's status follows
// the money (a full refund revokes it) and admins may revoke and reinstate
// it. Who may use a course is enrolment's rule and how far a learner is
// is progress's; this package only asks them.
package certificate

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// Errors of the use cases.
var (
	// ErrNotFound means no certificate has this id, or it is not the caller's.
	ErrNotFound = apperr.New(apperr.NotFound, "certificate_not_found", "Certificate not found")
	// ErrInvalidVerifyID means a verification id is not of the form NewVerifyID makes.
	ErrInvalidVerifyID = apperr.New(apperr.Invalid, "invalid_verify_id", "Invalid verification ID")
	// ErrNotEntitled means the caller may not use the course (not enrolled, or refunded).
	ErrNotEntitled = apperr.New(apperr.Forbidden, "certificate_not_entitled", "You are not enrolled in this course")
	// ErrNotCompleted means the caller has not completed every current
	// lecture; the message the caller sees also gives the percentage (see
	// NotCompleted).
	ErrNotCompleted = apperr.New(apperr.Conflict, "course_not_completed", "Course not completed")
	// ErrNoLectures means the course has no lectures, so nothing can be completed.
	ErrNoLectures = apperr.New(apperr.Conflict, "course_has_no_lectures", "A course without lectures cannot be certified")
	// ErrExists is what Repository.Create reports when a certificate with
	// the same id exists.
	ErrExists = apperr.New(apperr.Conflict, "certificate_exists", "Certificate exists")
	// ErrAdminOnly means only an admin may revoke or reinstate.
	ErrAdminOnly = apperr.New(apperr.Forbidden, "admin_only", "Only an admin may do this")
)

// NotCompleted returns ErrNotCompleted with the completion percentage in its
// message ("Course not completed: 40% done"); its code stays
// course_not_completed, so clients match the code.
func NotCompleted(percentage int) error {
	e := *ErrNotCompleted
	e.Message = fmt.Sprintf("%s: %d%% done", ErrNotCompleted.Message, percentage)
	return &e
}

// Status is whether a certificate stands.
type Status string

// The statuses of a certificate.
const (
	StatusValid   Status = "valid"
	StatusRevoked Status = "revoked"
)

// ReasonRefunded is the revocation reason of a full refund.
const ReasonRefunded = "refunded"

// MaxReasonRunes bounds an admin's revocation reason.
const MaxReasonRunes = 200

// Snapshot is what a certificate certifies, as it was at issue time; later
// renames do not change it.
type Snapshot struct {
	LearnerName    string
	CourseTitle    string
	InstructorName string
	TotalDuration  float64 // seconds, the course's total at issue time
	CompletedAt    time.Time
	IssuedAt       time.Time
}

// Revocation says why and when a certificate was revoked.
type Revocation struct {
	Reason string
	At     time.Time
	// Refund marks a revocation by a full refund (RevokeRefunded), which a
	// later purchase of the course undoes (ReinstatePurchased); an
	// admin's revocation stays until an admin reinstates.
	Refund bool
}

// Certificate is a certificate of completion of one course by one user.
type Certificate struct {
	ID       string // IDFor(UserID, CourseID)
	UserID   string
	CourseID string
	VerifyID string // public, random (NewVerifyID)
	Snapshot
	Revocation *Revocation // nil while valid
}

// Status returns StatusRevoked when c is revoked, else StatusValid.
func (c *Certificate) Status() Status {
	if c.Revocation != nil {
		return StatusRevoked
	}
	return StatusValid
}

// IDFor returns the id of the certificate of userID for courseID: 24 hex
// digits of a SHA-256 of the pair. One id per pair makes "one certificate
// per user and course" a primary-key fact (concurrent issues collide on
// it) and the hot read an _id lookup; it looks like every other id of the
// API and does not show the user's id.
func IDFor(userID, courseID string) string {
	sum := sha256.Sum256([]byte("certificate\x00" + userID + "\x00" + courseID))
	return hex.EncodeToString(sum[:12])
}

// verifyIDBytes is the entropy of a verification id: 192 bits.
const verifyIDBytes = 24

// VerifyIDLen is the length of a verification id: base64url of 24 bytes.
var VerifyIDLen = base64.RawURLEncoding.EncodedLen(verifyIDBytes)

// NewVerifyID returns a random verification id: 192 bits, URL-safe
// (base64url without padding, 32 characters).
func NewVerifyID() (string, error) {
	b := make([]byte, verifyIDBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("verify id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ValidVerifyID reports whether s has the form of a verification id.
func ValidVerifyID(s string) bool {
	if len(s) != VerifyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// VerifyHash is what certificates are looked up by: the SHA-256 of the
// verification id, hex. An index lookup's timing then says nothing about
// the stored ids themselves.
func VerifyHash(verifyID string) string {
	sum := sha256.Sum256([]byte(verifyID))
	return hex.EncodeToString(sum[:])
}

// LinkedInURL returns LinkedIn's "add to profile" link for c: a
// certification named after the course, issued by issuer in the month of
// issue, with the verification page as its URL and the verification id as
// its credential id.
func LinkedInURL(c *Certificate, issuer, verifyURL string) string {
	q := url.Values{}
	q.Set("startTask", "CERTIFICATION_NAME")
	q.Set("name", c.CourseTitle)
	q.Set("organizationName", issuer)
	q.Set("issueYear", strconv.Itoa(c.IssuedAt.UTC().Year()))
	q.Set("issueMonth", strconv.Itoa(int(c.IssuedAt.UTC().Month())))
	q.Set("certUrl", verifyURL)
	q.Set("certId", c.VerifyID)
	return "https://www.linkedin.com/profile/add?" + q.Encode()
}
