package user

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/clock"
)

// Errors of accounts; the repository reports the first two.
var (
	ErrUserNotFound         = apperr.New(apperr.NotFound, "user_not_found", "User not found")
	ErrEmailTaken           = apperr.New(apperr.Invalid, "email_taken", "User already exists with this email")
	ErrInvalidRole          = apperr.New(apperr.Invalid, "invalid_role", "Please select a valid role")
	ErrInvalidCredentials   = apperr.New(apperr.Unauthenticated, "invalid_credentials", "Invalid email or password")
	ErrWrongCurrentPassword = apperr.New(apperr.Unauthenticated, "wrong_current_password", "Current password is incorrect")
	ErrWrongPassword        = apperr.New(apperr.Unauthenticated, "wrong_password", "Password is incorrect")
	ErrBadResetToken        = apperr.New(apperr.Invalid, "invalid_reset_token", "Invalid or expired reset token")
	ErrOwnsCourses          = apperr.New(apperr.Conflict, "owns_courses", "Delete or transfer your courses first")
)

// resetTokenTTL is how long a password-reset link works.
const resetTokenTTL = 15 * time.Minute

// mailTimeout bounds sending one mail, which happens off the request path.
const mailTimeout = 30 * time.Second

// Deps are the collaborators of a Service.
type Deps struct {
	Repo     Repository
	Courses  Courses
	Progress ProgressEraser
	// Certificates deletes a deleted user's certificates.
	Certificates CertificateEraser
	// Reviews deletes a deleted user's reviews.
	Reviews    ReviewEraser
	Enrolments Enrolments
	Media      MediaRemover
	Mailer     Mailer
	Passwords  *auth.Passwords
	Tokens     *auth.Tokens
	// ResetLink builds the link mailed for a reset token.
	ResetLink func(token string) string
	Logger    *slog.Logger
	Now       func() time.Time // time.Now when nil
}

// Service runs the account use cases.
type Service struct {
	d      Deps
	resets resetQueue // password resets being done off the request path
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{d: d}
}

// SignUpInput is a sign-up request.
type SignUpInput struct {
	Name, Email, Password string
	Role                  string // "" means student
}

// Authenticated is a user with a fresh session token.
type Authenticated struct {
	User    *User
	Token   string
	Expires time.Time
}

// SignUp creates a student or instructor account and signs it in.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*Authenticated, error) {
	name, email := strings.TrimSpace(in.Name), NormalizeEmail(in.Email)
	var fields []apperr.FieldError
	fields = appendNameError(fields, name)
	fields = appendEmailError(fields, email)
	fields = appendPasswordError(fields, "password", in.Password)
	if err := apperr.Validation(fields); err != nil {
		return nil, err
	}
	role := auth.Role(in.Role)
	if in.Role == "" {
		role = auth.RoleStudent
	}
	if role != auth.RoleStudent && role != auth.RoleInstructor {
		return nil, ErrInvalidRole
	}
	hash, err := s.d.Passwords.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Name: name, Email: email, Role: role, PasswordHash: hash, LastActive: now, CreatedAt: now, UpdatedAt: now}
	if err := s.d.Repo.Create(ctx, u); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return s.issue(u)
}

// SignIn checks an email and password. An unknown email takes as long and
// answers the same as a wrong password.
func (s *Service) SignIn(ctx context.Context, email, password string) (*Authenticated, error) {
	email = NormalizeEmail(email)
	var fields []apperr.FieldError
	if email == "" {
		fields = append(fields, apperr.FieldError{Field: "email", Message: "Email is required"})
	}
	if password == "" {
		fields = append(fields, apperr.FieldError{Field: "password", Message: "Password is required"})
	}
	if err := apperr.Validation(fields); err != nil {
		return nil, err
	}
	key, err := s.d.Repo.EmailKey(ctx, email)
	switch {
	case apperr.Is(err, apperr.NotFound):
		if err := s.d.Passwords.CompareDummy(ctx, password); err != nil {
			return nil, err
		}
		return nil, ErrInvalidCredentials
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	}
	// The key's hash is a copy, checked first so that a wrong password
	// writes nothing; the user's own hash decides. They differ only when a
	// password change has not reached the key (an interrupted write, which
	// the start-up migration repairs).
	checked := key.PasswordHash
	ok, err := s.d.Passwords.Matches(ctx, checked, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		u, err := s.d.Repo.ByID(ctx, key.UserID)
		if apperr.Is(err, apperr.NotFound) {
			return nil, ErrInvalidCredentials
		}
		if err != nil {
			return nil, fmt.Errorf("find user: %w", err)
		}
		if u.PasswordHash == checked || u.Email != email {
			return nil, ErrInvalidCredentials
		}
		if ok, err := s.d.Passwords.Matches(ctx, u.PasswordHash, password); err != nil {
			return nil, err
		} else if !ok {
			return nil, ErrInvalidCredentials
		}
		checked = u.PasswordHash
	}
	now := s.now()
	u, err := s.d.Repo.TouchLastActive(ctx, key.UserID, now)
	if apperr.Is(err, apperr.NotFound) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("touch last active: %w", err)
	}
	if u.Email != email {
		return nil, ErrInvalidCredentials
	}
	if u.PasswordHash != checked {
		// The password changed since the key was read (or the key is
		// stale): only the current hash lets the user in. (lastActive is
		// already set then: a rare race, harmless.)
		if ok, err := s.d.Passwords.Matches(ctx, u.PasswordHash, password); err != nil {
			return nil, err
		} else if !ok {
			return nil, ErrInvalidCredentials
		}
	}
	u.LastActive = now
	return s.issue(u)
}

func (s *Service) issue(u *User) (*Authenticated, error) {
	token, exp, err := s.d.Tokens.Issue(u.ID, u.TokenVersion)
	if err != nil {
		return nil, fmt.Errorf("issue token: %w", err)
	}
	return &Authenticated{User: u, Token: token, Expires: exp}, nil
}

// Authenticate returns the identity a session token proves, and the user
// it belongs to: the token must be valid and of the user's current token
// version. It is the request's one read of the user; handlers that need
// the caller's account take it from here.
func (s *Service) Authenticate(ctx context.Context, token string) (auth.Identity, *User, error) {
	claims, err := s.d.Tokens.Parse(token)
	if err != nil {
		return auth.Identity{}, nil, err
	}
	u, err := s.d.Repo.ByID(ctx, claims.UserID)
	if apperr.Is(err, apperr.NotFound) || (err == nil && u.TokenVersion != claims.TokenVersion) {
		return auth.Identity{}, nil, auth.ErrToken
	}
	if err != nil {
		return auth.Identity{}, nil, fmt.Errorf("read session: %w", err)
	}
	return auth.Identity{UserID: u.ID, Role: u.Role}, u, nil
}

// SignOut revokes token, and every other token of its user, when it is valid.
func (s *Service) SignOut(ctx context.Context, token string) error {
	id, _, err := s.Authenticate(ctx, token)
	if apperr.Is(err, apperr.Unauthenticated) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.d.Repo.BumpTokenVersion(ctx, id.UserID); err != nil && !apperr.Is(err, apperr.NotFound) {
		return fmt.Errorf("revoke tokens: %w", err)
	}
	return nil
}

// Profile is a user with their enrolled courses.
type Profile struct {
	User    *User
	Courses map[string]CourseSummary // by course id, for User.EnrolledCourses
}

// Profile returns the profile of u, the caller as Authenticate read them.
func (s *Service) Profile(ctx context.Context, u *User) (*Profile, error) {
	ids := make([]string, len(u.EnrolledCourses))
	for i, e := range u.EnrolledCourses {
		ids[i] = e.CourseID
	}
	courses, err := s.d.Courses.Summaries(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("enrolled courses: %w", err)
	}
	return &Profile{User: u, Courses: courses}, nil
}

// UpdateProfile changes the caller's name, bio or avatar. A new avatar that
// cannot be applied is removed; a replaced one is removed too.
func (s *Service) UpdateProfile(ctx context.Context, userID string, c ProfileChanges) (u *User, err error) {
	defer func() {
		if err != nil && c.Avatar != nil {
			s.d.Media.Remove(ctx, *c.Avatar)
		}
	}()
	var fields []apperr.FieldError
	if c.Name != nil {
		name := strings.TrimSpace(*c.Name)
		c.Name = &name
		fields = appendNameError(fields, name)
	}
	if c.Bio != nil {
		bio := strings.TrimSpace(*c.Bio)
		c.Bio = &bio
		if utf8.RuneCountInString(bio) > 200 {
			fields = append(fields, apperr.FieldError{Field: "bio", Message: "Bio must be at most 200 characters"})
		}
	}
	if err := apperr.Validation(fields); err != nil {
		return nil, err
	}
	before, after, err := s.d.Repo.UpdateProfile(ctx, userID, c, s.now())
	if err != nil {
		return nil, err
	}
	if c.Avatar != nil && before.Avatar != "" && before.Avatar != *c.Avatar {
		s.d.Media.Remove(ctx, before.Avatar)
	}
	return after, nil
}

// ChangePassword sets a new password after checking the current one. Every
// older token stops working; the caller gets a fresh one.
func (s *Service) ChangePassword(ctx context.Context, userID, current, next string) (*Authenticated, error) {
	var fields []apperr.FieldError
	if current == "" {
		fields = append(fields, apperr.FieldError{Field: "currentPassword", Message: "Current password is required"})
	}
	fields = appendPasswordError(fields, "newPassword", next)
	if err := apperr.Validation(fields); err != nil {
		return nil, err
	}
	u, err := s.d.Repo.ByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if ok, err := s.d.Passwords.Matches(ctx, u.PasswordHash, current); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrWrongCurrentPassword
	}
	hash, err := s.d.Passwords.Hash(ctx, next)
	if err != nil {
		return nil, err
	}
	if u.TokenVersion, err = s.d.Repo.SetPassword(ctx, userID, hash, s.now()); err != nil {
		return nil, err
	}
	return s.issue(u)
}

// ForgotPassword mails a single-use reset link when the email is registered.
// Only the email's syntax is checked on the request path: looking the user
// up, storing the token and mailing happen in the background, so the answer
// is the same, after the same work, for every email. Failures are logged.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	if err := apperr.Validation(appendEmailError(nil, email)); err != nil {
		return err
	}
	if !s.resets.push(email, s.sendReset) {
		s.d.Logger.WarnContext(ctx, "password reset dropped: too many waiting", "pending", maxPendingResets)
	}
	return nil
}

// Wait waits for password resets still queued or being mailed; shutdown
// calls it.
func (s *Service) Wait() {
	s.resets.done.Wait()
}

// ResetPassword sets a new password with a reset token, which it uses up.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := apperr.Validation(appendPasswordError(nil, "password", password)); err != nil {
		return err
	}
	if token == "" || len(token) > 128 {
		return ErrBadResetToken
	}
	hash, err := s.d.Passwords.Hash(ctx, password)
	if err != nil {
		return err
	}
	if _, err := s.d.Repo.ConsumeResetToken(ctx, auth.HashResetToken(token), hash, s.now()); err != nil {
		return fmt.Errorf("consume reset token: %w", apperr.Relabel(err, apperr.NotFound, ErrBadResetToken))
	}
	return nil
}

// DeleteAccount deletes the caller after checking their password: their
// progress, their certificates, their reviews, their enrolments (so course counts stay true), avatar and the
// account itself. Purchases stay, as money history.
func (s *Service) DeleteAccount(ctx context.Context, userID, password string) error {
	if password == "" {
		return apperr.Validation([]apperr.FieldError{{Field: "password", Message: "Password is required"}})
	}
	u, err := s.d.Repo.ByID(ctx, userID)
	if err != nil {
		return err
	}
	if ok, err := s.d.Passwords.Matches(ctx, u.PasswordHash, password); err != nil {
		return err
	} else if !ok {
		return ErrWrongPassword
	}
	owned, err := s.d.Courses.CountByInstructor(ctx, userID)
	if err != nil {
		return fmt.Errorf("count courses: %w", err)
	}
	if owned > 0 {
		return ErrOwnsCourses
	}
	if err := s.d.Progress.DeleteByUser(ctx, userID); err != nil {
		return fmt.Errorf("delete progress: %w", err)
	}
	if err := s.d.Certificates.DeleteByUser(ctx, userID); err != nil {
		return fmt.Errorf("delete certificates: %w", err)
	}
	if err := s.d.Reviews.DeleteByUser(ctx, userID); err != nil {
		return fmt.Errorf("delete reviews: %w", err)
	}
	if err := s.d.Enrolments.RemoveUser(ctx, userID); err != nil {
		return fmt.Errorf("remove enrolments: %w", err)
	}
	if err := s.d.Repo.Delete(ctx, userID); err != nil {
		return err
	}
	s.d.Media.Remove(ctx, u.Avatar)
	return nil
}

// CreateAdmin creates an admin account, or promotes the user who has this
// email. It reports whether it created one.
func (s *Service) CreateAdmin(ctx context.Context, email, name, password string) (created bool, err error) {
	email = NormalizeEmail(email)
	if _, err := s.d.Repo.SetRole(ctx, email, auth.RoleAdmin, s.now()); err == nil {
		return false, nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return false, fmt.Errorf("promote: %w", err)
	}
	name = strings.TrimSpace(name)
	var fields []apperr.FieldError
	fields = appendNameError(fields, name)
	fields = appendEmailError(fields, email)
	fields = appendPasswordError(fields, "password", password)
	if err := apperr.Validation(fields); err != nil {
		return false, err
	}
	hash, err := s.d.Passwords.Hash(ctx, password)
	if err != nil {
		return false, err
	}
	now := s.now()
	u := &User{Name: name, Email: email, Role: auth.RoleAdmin, PasswordHash: hash, LastActive: now, CreatedAt: now, UpdatedAt: now}
	if err := s.d.Repo.Create(ctx, u); err != nil {
		return false, fmt.Errorf("create admin: %w", err)
	}
	return true, nil
}

func (s *Service) now() time.Time { return clock.Now(s.d.Now) }

// NormalizeEmail is the form in which emails are stored and compared:
// trimmed and lower-case. The per-account rate limits key on it too.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func appendNameError(fields []apperr.FieldError, name string) []apperr.FieldError {
	if n := utf8.RuneCountInString(name); n < 2 || n > 50 {
		fields = append(fields, apperr.FieldError{Field: "name", Message: "Name must be between 2 and 50 characters"})
	}
	return fields
}

func appendEmailError(fields []apperr.FieldError, email string) []apperr.FieldError {
	if !validEmail(email) {
		fields = append(fields, apperr.FieldError{Field: "email", Message: "Please provide a valid email"})
	}
	return fields
}

func appendPasswordError(fields []apperr.FieldError, field, pw string) []apperr.FieldError {
	switch {
	case len(pw) < auth.MinPasswordBytes:
		fields = append(fields, apperr.FieldError{Field: field, Message: fmt.Sprintf("Password must be at least %d characters", auth.MinPasswordBytes)})
	case len(pw) > auth.MaxPasswordBytes:
		fields = append(fields, apperr.FieldError{Field: field, Message: fmt.Sprintf("Password must be at most %d bytes", auth.MaxPasswordBytes)})
	}
	return fields
}

// validEmail accepts a bare address such as a@b.co, nothing more.
func validEmail(email string) bool {
	if len(email) > 254 {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	return at > 0 && strings.Contains(email[at+1:], ".")
}
