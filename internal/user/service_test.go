package user_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/user"
)

const validation = apperr.ValidationMessage

func ptr[T any](v T) *T { return &v }

// fields builds the expected field errors from name, message pairs.
func fields(pairs ...string) []apperr.FieldError {
	var out []apperr.FieldError
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, apperr.FieldError{Field: pairs[i], Message: pairs[i+1]})
	}
	return out
}

// want is an expected outcome: no error when message is "".
type want struct {
	kind    apperr.Kind
	message string
	fields  []apperr.FieldError
}

func invalid(pairs ...string) want { return want{apperr.Invalid, validation, fields(pairs...)} }

// check fails unless err is what w expects.
func (w want) check(t *testing.T, err error) {
	t.Helper()
	if w.message == "" {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want kind %v %q", err, w.kind, w.message)
	}
	if apperr.KindOf(err) != w.kind || e.Message != w.message || !slices.Equal(e.Fields, w.fields) {
		t.Errorf("err = kind %v %q %v, want kind %v %q %v", apperr.KindOf(err), e.Message, e.Fields, w.kind, w.message, w.fields)
	}
}

const (
	nameMsg     = "Name must be between 2 and 50 characters"
	emailMsg    = "Please provide a valid email"
	pwShortMsg  = "Password must be at least 8 characters"
	pwLongMsg   = "Password must be at most 72 bytes"
	goodPass    = "correct horse"
	anotherPass = "battery staple"
)

func TestSignUpValidation(t *testing.T) {
	tests := []struct {
		name string
		in   user.SignUpInput
		want want
		role auth.Role // of the created account
	}{
		{name: "student by default", in: user.SignUpInput{Name: "Ann", Email: "ann@example.com", Password: goodPass}, role: auth.RoleStudent},
		{name: "student", in: user.SignUpInput{Name: "Ann", Email: "ann@example.com", Password: goodPass, Role: "student"}, role: auth.RoleStudent},
		{name: "instructor", in: user.SignUpInput{Name: "Ann", Email: "ann@example.com", Password: goodPass, Role: "instructor"}, role: auth.RoleInstructor},
		{name: "admin refused", in: user.SignUpInput{Name: "Ann", Email: "ann@example.com", Password: goodPass, Role: "admin"},
			want: want{apperr.Invalid, "Please select a valid role", nil}},
		{name: "role case matters", in: user.SignUpInput{Name: "Ann", Email: "ann@example.com", Password: goodPass, Role: "Student"},
			want: want{apperr.Invalid, "Please select a valid role", nil}},
		{name: "shortest name", in: user.SignUpInput{Name: " Al ", Email: "al@example.com", Password: goodPass}, role: auth.RoleStudent},
		{name: "longest name", in: user.SignUpInput{Name: strings.Repeat("ß", 50), Email: "a@example.com", Password: goodPass}, role: auth.RoleStudent},
		{name: "name too short", in: user.SignUpInput{Name: " A ", Email: "a@example.com", Password: goodPass}, want: invalid("name", nameMsg)},
		{name: "name too long", in: user.SignUpInput{Name: strings.Repeat("a", 51), Email: "a@example.com", Password: goodPass}, want: invalid("name", nameMsg)},
		{name: "name missing", in: user.SignUpInput{Email: "a@example.com", Password: goodPass}, want: invalid("name", nameMsg)},
		{name: "email normalised", in: user.SignUpInput{Name: "Ann", Email: "  Ann@Example.COM ", Password: goodPass}, role: auth.RoleStudent},
		{name: "email missing", in: user.SignUpInput{Name: "Ann", Password: goodPass}, want: invalid("email", emailMsg)},
		{name: "email without at", in: user.SignUpInput{Name: "Ann", Email: "ann.example.com", Password: goodPass}, want: invalid("email", emailMsg)},
		{name: "email without dot in domain", in: user.SignUpInput{Name: "Ann", Email: "ann@localhost", Password: goodPass}, want: invalid("email", emailMsg)},
		{name: "email with display name", in: user.SignUpInput{Name: "Ann", Email: "Ann <ann@example.com>", Password: goodPass}, want: invalid("email", emailMsg)},
		{name: "email too long", in: user.SignUpInput{Name: "Ann", Email: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", Password: goodPass},
			want: invalid("email", emailMsg)},
		{name: "shortest password", in: user.SignUpInput{Name: "Ann", Email: "a@example.com", Password: "12345678"}, role: auth.RoleStudent},
		{name: "longest password", in: user.SignUpInput{Name: "Ann", Email: "a@example.com", Password: strings.Repeat("p", 72)}, role: auth.RoleStudent},
		{name: "password too short", in: user.SignUpInput{Name: "Ann", Email: "a@example.com", Password: "1234567"}, want: invalid("password", pwShortMsg)},
		{name: "password too long", in: user.SignUpInput{Name: "Ann", Email: "a@example.com", Password: strings.Repeat("p", 73)}, want: invalid("password", pwLongMsg)},
		{name: "password counted in bytes", in: user.SignUpInput{Name: "Ann", Email: "a@example.com", Password: strings.Repeat("é", 37)}, want: invalid("password", pwLongMsg)},
		{name: "every field before the role", in: user.SignUpInput{Name: "A", Email: "nope", Password: "short", Role: "admin"},
			want: invalid("name", nameMsg, "email", emailMsg, "password", pwShortMsg)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(nil)
			a, err := f.svc.SignUp(context.Background(), tt.in)
			tt.want.check(t, err)
			if err != nil {
				if len(f.repo.users) != 0 {
					t.Errorf("a refused sign-up was stored: %v", f.repo.users)
				}
				return
			}
			u := f.repo.get(a.User.ID)
			wantEmail := strings.ToLower(strings.TrimSpace(tt.in.Email))
			if u == nil || u.Name != strings.TrimSpace(tt.in.Name) || u.Email != wantEmail || u.Role != tt.role {
				t.Fatalf("stored %+v, want name %q, email %q, role %s", u, strings.TrimSpace(tt.in.Name), wantEmail, tt.role)
			}
			if !matches(u.PasswordHash, tt.in.Password) || u.PasswordHash == tt.in.Password {
				t.Error("the stored hash does not match the password")
			}
			if a.Token == "" {
				t.Error("no session token")
			}
		})
	}
}

func TestSignUpTakenEmail(t *testing.T) {
	f := newFixture(nil)
	f.signUp(t, "ann@example.com", goodPass, "")
	_, err := f.svc.SignUp(context.Background(), user.SignUpInput{Name: "Other", Email: " ANN@example.com", Password: anotherPass})
	want{apperr.Invalid, "User already exists with this email", nil}.check(t, err)
}

func TestSignIn(t *testing.T) {
	const wrong = "Invalid email or password"
	tests := []struct {
		name, email, password string
		want                  want
	}{
		{name: "right", email: "ann@example.com", password: goodPass},
		{name: "email normalised", email: " ANN@Example.com ", password: goodPass},
		{name: "email missing", password: goodPass, want: invalid("email", "Email is required")},
		{name: "password missing", email: "ann@example.com", want: invalid("password", "Password is required")},
		{name: "both missing", email: "  ", want: invalid("email", "Email is required", "password", "Password is required")},
		{name: "unknown email", email: "bob@example.com", password: goodPass, want: want{apperr.Unauthenticated, wrong, nil}},
		{name: "wrong password", email: "ann@example.com", password: anotherPass, want: want{apperr.Unauthenticated, wrong, nil}},
		// bcrypt compares only 72 bytes: a longer password sharing them is still wrong.
		{name: "past 72 bytes", email: "long@example.com", password: strings.Repeat("p", 72) + "x", want: want{apperr.Unauthenticated, wrong, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(nil)
			f.signUp(t, "ann@example.com", goodPass, "")
			f.signUp(t, "long@example.com", strings.Repeat("p", 72), "")
			a, err := f.svc.SignIn(context.Background(), tt.email, tt.password)
			tt.want.check(t, err)
			if err == nil && (a.User.Email != "ann@example.com" || a.Token == "") {
				t.Errorf("signed in %+v", a)
			}
		})
	}
}

// TestSignInStaleEmailKey: the email key's copy of the password hash may
// miss a password change (an interrupted write); the user's own hash
// decides, so the old password fails and the new one works.
func TestSignInStaleEmailKey(t *testing.T) {
	f := newFixture(nil)
	u := f.signUp(t, "ann@example.com", goodPass, "")
	oldHash := f.repo.get(u.ID).PasswordHash
	newHash, err := passwords.Hash(context.Background(), anotherPass)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.repo.SetPassword(context.Background(), u.ID, newHash, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.repo.staleKeys = map[string]string{"ann@example.com": oldHash}
	before := f.repo.get(u.ID).LastActive

	_, err = f.svc.SignIn(context.Background(), "ann@example.com", goodPass)
	want{apperr.Unauthenticated, "Invalid email or password", nil}.check(t, err)
	a, err := f.svc.SignIn(context.Background(), "ann@example.com", anotherPass)
	if err != nil || a.User.ID != u.ID || !f.repo.get(u.ID).LastActive.After(before) {
		t.Fatalf("new password with a stale key: %v, %+v", err, a)
	}
	// A key whose copy is right but not the password: nothing is written.
	f.repo.staleKeys = nil
	last := f.repo.get(u.ID).LastActive
	_, err = f.svc.SignIn(context.Background(), "ann@example.com", goodPass)
	want{apperr.Unauthenticated, "Invalid email or password", nil}.check(t, err)
	if !f.repo.get(u.ID).LastActive.Equal(last) {
		t.Error("a wrong password touched lastActive")
	}
}

func TestUpdateProfileValidation(t *testing.T) {
	tests := []struct {
		name      string
		in        user.ProfileChanges
		want      want
		wantName  string
		wantBio   string
		wantGone  []string // media removed
		oldAvatar string
	}{
		{name: "nothing", wantName: "Ann", wantBio: "Old bio"},
		{name: "name trimmed", in: user.ProfileChanges{Name: ptr("  Al  ")}, wantName: "Al", wantBio: "Old bio"},
		{name: "longest name", in: user.ProfileChanges{Name: ptr(strings.Repeat("ñ", 50))}, wantName: strings.Repeat("ñ", 50), wantBio: "Old bio"},
		{name: "name too short", in: user.ProfileChanges{Name: ptr("A ")}, want: invalid("name", nameMsg)},
		{name: "name emptied", in: user.ProfileChanges{Name: ptr("")}, want: invalid("name", nameMsg)},
		{name: "name too long", in: user.ProfileChanges{Name: ptr(strings.Repeat("a", 51))}, want: invalid("name", nameMsg)},
		{name: "bio cleared", in: user.ProfileChanges{Bio: ptr("  ")}, wantName: "Ann", wantBio: ""},
		{name: "longest bio", in: user.ProfileChanges{Bio: ptr(strings.Repeat("ü", 200))}, wantName: "Ann", wantBio: strings.Repeat("ü", 200)},
		{name: "bio too long", in: user.ProfileChanges{Bio: ptr(strings.Repeat("a", 201))}, want: invalid("bio", "Bio must be at most 200 characters")},
		{name: "both bad", in: user.ProfileChanges{Name: ptr("x"), Bio: ptr(strings.Repeat("a", 201))},
			want: invalid("name", nameMsg, "bio", "Bio must be at most 200 characters")},
		{name: "refused avatar removed", in: user.ProfileChanges{Name: ptr("x"), Avatar: ptr("avatars/new.png")},
			want: invalid("name", nameMsg), wantGone: []string{"avatars/new.png"}, oldAvatar: "avatars/old.png"},
		{name: "replaced avatar removed", in: user.ProfileChanges{Avatar: ptr("avatars/new.png")},
			wantName: "Ann", wantBio: "Old bio", wantGone: []string{"avatars/old.png"}, oldAvatar: "avatars/old.png"},
		{name: "first avatar", in: user.ProfileChanges{Avatar: ptr("avatars/new.png")}, wantName: "Ann", wantBio: "Old bio"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(nil)
			u := f.signUp(t, "ann@example.com", goodPass, "")
			if _, _, err := f.repo.update(u.ID, func(u *user.User) { u.Bio, u.Avatar = "Old bio", tt.oldAvatar }); err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.UpdateProfile(context.Background(), u.ID, tt.in)
			tt.want.check(t, err)
			stored := f.repo.get(u.ID)
			if err == nil && (got.Name != tt.wantName || got.Bio != tt.wantBio) {
				t.Errorf("returned name %q, bio %q; want %q, %q", got.Name, got.Bio, tt.wantName, tt.wantBio)
			}
			if err != nil {
				tt.wantName, tt.wantBio = "Ann", "Old bio"
			}
			if stored.Name != tt.wantName || stored.Bio != tt.wantBio {
				t.Errorf("stored name %q, bio %q; want %q, %q", stored.Name, stored.Bio, tt.wantName, tt.wantBio)
			}
			if got := f.calls.get(&f.calls.mediaRemoved); !slices.Equal(got, tt.wantGone) {
				t.Errorf("media removed %v, want %v", got, tt.wantGone)
			}
		})
	}
}

func TestChangePasswordValidation(t *testing.T) {
	tests := []struct {
		name, current, next string
		want                want
	}{
		{name: "right", current: goodPass, next: anotherPass},
		{name: "current missing", next: anotherPass, want: invalid("currentPassword", "Current password is required")},
		{name: "new too short", current: goodPass, next: "1234567", want: invalid("newPassword", pwShortMsg)},
		{name: "new too long", current: goodPass, next: strings.Repeat("n", 73), want: invalid("newPassword", pwLongMsg)},
		{name: "new missing", current: goodPass, want: invalid("newPassword", pwShortMsg)},
		{name: "both", want: invalid("currentPassword", "Current password is required", "newPassword", pwShortMsg)},
		{name: "current wrong", current: anotherPass, next: anotherPass, want: want{apperr.Unauthenticated, "Current password is incorrect", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(nil)
			u := f.signUp(t, "ann@example.com", goodPass, "")
			a, err := f.svc.ChangePassword(context.Background(), u.ID, tt.current, tt.next)
			tt.want.check(t, err)
			stored := f.repo.get(u.ID)
			if err != nil {
				if !matches(stored.PasswordHash, goodPass) || stored.TokenVersion != 0 {
					t.Errorf("a refused change changed the account: version %d", stored.TokenVersion)
				}
				return
			}
			if !matches(stored.PasswordHash, tt.next) || stored.TokenVersion != 1 || a.Token == "" {
				t.Errorf("after the change: new password matches %v, version %d, token %q",
					matches(stored.PasswordHash, tt.next), stored.TokenVersion, a.Token)
			}
		})
	}
}

func TestResetPasswordValidation(t *testing.T) {
	const bad = "Invalid or expired reset token"
	tests := []struct {
		name, token, password string
		want                  want
	}{
		{name: "password too short", token: "t", password: "short", want: invalid("password", pwShortMsg)},
		{name: "password too long", token: "t", password: strings.Repeat("p", 73), want: invalid("password", pwLongMsg)},
		{name: "token missing", password: anotherPass, want: want{apperr.Invalid, bad, nil}},
		{name: "token too long", token: strings.Repeat("t", 129), password: anotherPass, want: want{apperr.Invalid, bad, nil}},
		{name: "token unknown", token: "unknown", password: anotherPass, want: want{apperr.Invalid, bad, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(nil)
			tt.want.check(t, f.svc.ResetPassword(context.Background(), tt.token, tt.password))
		})
	}
}

func TestForgotAndResetPassword(t *testing.T) {
	ctx := context.Background()
	f := newFixture(nil)
	u := f.signUp(t, "ann@example.com", goodPass, "")

	want{apperr.Invalid, validation, fields("email", emailMsg)}.check(t, f.svc.ForgotPassword(ctx, "nope"))
	want{}.check(t, f.svc.ForgotPassword(ctx, "bob@example.com"))
	want{}.check(t, f.svc.ForgotPassword(ctx, " ANN@example.com"))
	f.svc.Wait()
	mailed := f.calls.get(&f.calls.mailed)
	if len(mailed) != 1 || !strings.HasPrefix(mailed[0], "ann@example.com https://lms.test/reset/") {
		t.Fatalf("mailed %v, want one link to ann", mailed)
	}
	token := strings.TrimPrefix(mailed[0], "ann@example.com https://lms.test/reset/")
	want{}.check(t, f.svc.ResetPassword(ctx, token, anotherPass))
	if stored := f.repo.get(u.ID); !matches(stored.PasswordHash, anotherPass) {
		t.Error("the reset did not set the new password")
	}
	want{apperr.Invalid, "Invalid or expired reset token", nil}.check(t, f.svc.ResetPassword(ctx, token, goodPass))
}

func TestDeleteAccount(t *testing.T) {
	tests := []struct {
		name, password string
		owned          int64
		want           want
	}{
		{name: "right", password: goodPass},
		{name: "password missing", want: invalid("password", "Password is required")},
		{name: "password wrong", password: anotherPass, want: want{apperr.Unauthenticated, "Password is incorrect", nil}},
		{name: "owns courses", password: goodPass, owned: 2, want: want{apperr.Conflict, "Delete or transfer your courses first", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(map[string]int64{"000000000000000000000001": tt.owned})
			u := f.signUp(t, "ann@example.com", goodPass, auth.RoleInstructor)
			if _, _, err := f.repo.update(u.ID, func(u *user.User) { u.Avatar = "avatars/ann.png" }); err != nil {
				t.Fatal(err)
			}
			err := f.svc.DeleteAccount(context.Background(), u.ID, tt.password)
			tt.want.check(t, err)
			var gone []string
			if err == nil {
				gone = []string{u.ID}
			}
			if (f.repo.get(u.ID) == nil) != (err == nil) {
				t.Errorf("account deleted: %v, want %v", f.repo.get(u.ID) == nil, err == nil)
			}
			if got := f.calls.get(&f.calls.progressErased); !slices.Equal(got, gone) {
				t.Errorf("progress erased for %v, want %v", got, gone)
			}
			if got := f.calls.get(&f.calls.certificatesErased); !slices.Equal(got, gone) {
				t.Errorf("certificates erased for %v, want %v", got, gone)
			}
			if got := f.calls.get(&f.calls.reviewsErased); !slices.Equal(got, gone) {
				t.Errorf("reviews erased for %v, want %v", got, gone)
			}
			if got := f.calls.get(&f.calls.unenrolled); !slices.Equal(got, gone) {
				t.Errorf("enrolments removed for %v, want %v", got, gone)
			}
			if got := f.calls.get(&f.calls.mediaRemoved); (len(got) == 1) != (err == nil) {
				t.Errorf("media removed %v", got)
			}
		})
	}
}

func TestCreateAdmin(t *testing.T) {
	ctx := context.Background()
	f := newFixture(nil)
	_, err := f.svc.CreateAdmin(ctx, "root@example.com", "R", "short")
	want{apperr.Invalid, validation, fields("name", nameMsg, "password", pwShortMsg)}.check(t, err)

	created, err := f.svc.CreateAdmin(ctx, " Root@Example.com ", "Root", goodPass)
	if err != nil || !created {
		t.Fatalf("CreateAdmin = %v, %v; want created", created, err)
	}
	u := f.signUp(t, "ann@example.com", goodPass, "")
	// Promoting an existing account checks nothing else.
	created, err = f.svc.CreateAdmin(ctx, "ANN@example.com", "", "")
	if err != nil || created {
		t.Fatalf("CreateAdmin = %v, %v; want promoted", created, err)
	}
	if got := f.repo.get(u.ID).Role; got != auth.RoleAdmin {
		t.Errorf("role = %s, want admin", got)
	}
	if a, err := f.repo.ByEmail(ctx, "root@example.com"); err != nil || a.Role != auth.RoleAdmin {
		t.Errorf("admin = %+v, %v", a, err)
	}
}

// matches reports whether pw is the password of hash.
func matches(hash, pw string) bool {
	ok, err := passwords.Matches(context.Background(), hash, pw)
	return ok && err == nil
}
