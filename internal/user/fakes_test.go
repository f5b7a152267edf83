package user_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/user"
)

// fakeRepo is an in-memory user.Repository.
type fakeRepo struct {
	mu    sync.Mutex
	users map[string]*user.User
	reset map[string]string // reset token hash → user id
	next  int
	// staleKeys overrides the password hash EmailKey returns for an email,
	// as a key that missed a password change would.
	staleKeys map[string]string
}

var _ user.Repository = (*fakeRepo)(nil)

func newFakeRepo() *fakeRepo {
	return &fakeRepo{users: map[string]*user.User{}, reset: map[string]string{}}
}

// get returns a copy of a stored user, or nil.
func (f *fakeRepo) get(id string) *user.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil
	}
	cp := *u
	return &cp
}

// update runs change on a stored user and returns it before and after.
func (f *fakeRepo) update(id string, change func(*user.User)) (before, after *user.User, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[id]
	if !ok {
		return nil, nil, user.ErrUserNotFound
	}
	b := *u
	change(u)
	a := *u
	return &b, &a, nil
}

func (f *fakeRepo) Create(_ context.Context, u *user.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, other := range f.users {
		if other.Email == u.Email {
			return user.ErrEmailTaken
		}
	}
	f.next++
	u.ID = fmt.Sprintf("%024x", f.next) // an ObjectId, as tokens require
	cp := *u
	f.users[u.ID] = &cp
	return nil
}

func (f *fakeRepo) ByID(_ context.Context, id string) (*user.User, error) {
	if u := f.get(id); u != nil {
		return u, nil
	}
	return nil, user.ErrUserNotFound
}

func (f *fakeRepo) ByEmail(_ context.Context, email string) (*user.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.users {
		if u.Email == email {
			cp := *u
			return &cp, nil
		}
	}
	return nil, user.ErrUserNotFound
}

func (f *fakeRepo) UpdateProfile(_ context.Context, id string, c user.ProfileChanges, now time.Time) (before, after *user.User, err error) {
	return f.update(id, func(u *user.User) {
		for _, ch := range []struct{ dst, v *string }{{&u.Name, c.Name}, {&u.Bio, c.Bio}, {&u.Avatar, c.Avatar}} {
			if ch.v != nil {
				*ch.dst = *ch.v
			}
		}
		u.UpdatedAt = now
	})
}

func (f *fakeRepo) SetPassword(_ context.Context, id, hash string, now time.Time) (int64, error) {
	_, after, err := f.update(id, func(u *user.User) {
		u.PasswordHash, u.UpdatedAt = hash, now
		u.TokenVersion++
	})
	if err != nil {
		return 0, err
	}
	return after.TokenVersion, nil
}

func (f *fakeRepo) BumpTokenVersion(_ context.Context, id string) error {
	_, _, err := f.update(id, func(u *user.User) { u.TokenVersion++ })
	return err
}

func (f *fakeRepo) SetResetToken(_ context.Context, id, tokenHash string, _ time.Time) error {
	if f.get(id) == nil {
		return user.ErrUserNotFound
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reset[tokenHash] = id
	return nil
}

func (f *fakeRepo) ConsumeResetToken(_ context.Context, tokenHash, passwordHash string, now time.Time) (*user.User, error) {
	f.mu.Lock()
	id, ok := f.reset[tokenHash]
	delete(f.reset, tokenHash)
	f.mu.Unlock()
	if !ok {
		return nil, user.ErrUserNotFound
	}
	_, after, err := f.update(id, func(u *user.User) {
		u.PasswordHash, u.UpdatedAt = passwordHash, now
		u.TokenVersion++
	})
	return after, err
}

func (f *fakeRepo) EmailKey(ctx context.Context, email string) (*user.EmailKey, error) {
	u, err := f.ByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	k := &user.EmailKey{UserID: u.ID, PasswordHash: u.PasswordHash}
	f.mu.Lock()
	defer f.mu.Unlock()
	if h, ok := f.staleKeys[email]; ok {
		k.PasswordHash = h
	}
	return k, nil
}

func (f *fakeRepo) TouchLastActive(_ context.Context, id string, now time.Time) (*user.User, error) {
	_, after, err := f.update(id, func(u *user.User) { u.LastActive = now })
	return after, err
}

func (f *fakeRepo) SetRole(ctx context.Context, email string, role auth.Role, now time.Time) (*user.User, error) {
	u, err := f.ByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	_, after, err := f.update(u.ID, func(u *user.User) { u.Role, u.UpdatedAt = role, now })
	return after, err
}

func (f *fakeRepo) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.users[id]; !ok {
		return user.ErrUserNotFound
	}
	delete(f.users, id)
	return nil
}

// fakeCourses knows how many courses each instructor owns.
type fakeCourses struct {
	owned map[string]int64
}

func (f fakeCourses) Summaries(_ context.Context, ids []string) (map[string]user.CourseSummary, error) {
	out := map[string]user.CourseSummary{}
	for _, id := range ids {
		out[id] = user.CourseSummary{ID: id, Title: "Course " + id}
	}
	return out, nil
}

func (f fakeCourses) CountByInstructor(_ context.Context, instructorID string) (int64, error) {
	return f.owned[instructorID], nil
}

// calls records the user ids and keys the other collaborators were given.
type calls struct {
	mu                         sync.Mutex
	progressErased, unenrolled []string
	certificatesErased         []string
	reviewsErased              []string
	mediaRemoved               []string
	mailed                     []string // "to link"
}

func (c *calls) add(list *[]string, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*list = append(*list, v)
}

func (c *calls) get(list *[]string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(*list)
}

type fakeProgress struct{ *calls }

func (f fakeProgress) DeleteByUser(_ context.Context, userID string) error {
	f.add(&f.progressErased, userID)
	return nil
}

type fakeCertificates struct{ *calls }

func (f fakeCertificates) DeleteByUser(_ context.Context, userID string) error {
	f.add(&f.certificatesErased, userID)
	return nil
}

type fakeReviews struct{ *calls }

func (f fakeReviews) DeleteByUser(_ context.Context, userID string) error {
	f.add(&f.reviewsErased, userID)
	return nil
}

type fakeEnrolments struct{ *calls }

func (f fakeEnrolments) RemoveUser(_ context.Context, userID string) error {
	f.add(&f.unenrolled, userID)
	return nil
}

type fakeMedia struct{ *calls }

func (f fakeMedia) Remove(_ context.Context, key string) { f.add(&f.mediaRemoved, key) }

type fakeMailer struct{ *calls }

func (f fakeMailer) SendPasswordReset(_ context.Context, to, _, link string) error {
	f.add(&f.mailed, to+" "+link)
	return nil
}

// passwords hash at bcrypt's lowest cost: the tests are about the rules.
var passwords = auth.NewPasswords(4, 0)

// fixture is a user service over fakes.
type fixture struct {
	svc   *user.Service
	repo  *fakeRepo
	calls *calls
}

func newFixture(owned map[string]int64) *fixture {
	f := &fixture{repo: newFakeRepo(), calls: &calls{}}
	f.svc = user.NewService(user.Deps{
		Repo: f.repo, Courses: fakeCourses{owned: owned}, Progress: fakeProgress{f.calls},
		Certificates: fakeCertificates{f.calls}, Reviews: fakeReviews{f.calls},
		Enrolments: fakeEnrolments{f.calls}, Media: fakeMedia{f.calls}, Mailer: fakeMailer{f.calls},
		Passwords: passwords, Tokens: auth.NewTokens([]byte("test secret"), time.Hour),
		ResetLink: func(token string) string { return "https://lms.test/reset/" + token },
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return f
}

// signUp creates an account through the service.
func (f *fixture) signUp(t *testing.T, email, password string, role auth.Role) *user.User {
	t.Helper()
	a, err := f.svc.SignUp(context.Background(), user.SignUpInput{Name: "Ann", Email: email, Password: password, Role: string(role)})
	if err != nil {
		t.Fatal(err)
	}
	return a.User
}
