package enrolment_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/enrolment"
)

// memRepo keeps enrolments in memory, by user.
type memRepo struct {
	byUser map[string][]enrolment.Enrolment
}

func (m *memRepo) Enrol(_ context.Context, userID, courseID string, at time.Time) (bool, error) {
	for _, e := range m.byUser[userID] {
		if e.CourseID == courseID {
			return false, nil
		}
	}
	m.byUser[userID] = append(m.byUser[userID], enrolment.Enrolment{CourseID: courseID, EnrolledAt: at})
	return true, nil
}

func (m *memRepo) Unenrol(_ context.Context, userID, courseID string, _ time.Time) (bool, error) {
	before := len(m.byUser[userID])
	m.byUser[userID] = slices.DeleteFunc(m.byUser[userID], func(e enrolment.Enrolment) bool { return e.CourseID == courseID })
	return len(m.byUser[userID]) < before, nil
}

func (m *memRepo) IsEnrolled(_ context.Context, userID, courseID string) (bool, error) {
	return slices.ContainsFunc(m.byUser[userID], func(e enrolment.Enrolment) bool { return e.CourseID == courseID }), nil
}

func (m *memRepo) ByUser(_ context.Context, userID string) ([]enrolment.Enrolment, error) {
	return slices.Clone(m.byUser[userID]), nil
}

// The entitlement rule: the course's instructor and admins always, an
// enrolled student while enrolled (a refund unenrols), nobody else.
func TestEntitled(t *testing.T) {
	ctx := context.Background()
	s := enrolment.NewService(enrolment.Deps{Repo: &memRepo{byUser: map[string][]enrolment.Enrolment{}}})
	if _, err := s.Enrol(ctx, "student", "course"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    auth.Identity
		want bool
	}{
		{"anonymous", auth.Identity{}, false},
		{"enrolled student", auth.Identity{UserID: "student", Role: auth.RoleStudent}, true},
		{"other student", auth.Identity{UserID: "other", Role: auth.RoleStudent}, false},
		{"the course's instructor", auth.Identity{UserID: "teacher", Role: auth.RoleInstructor}, true},
		{"another instructor", auth.Identity{UserID: "rival", Role: auth.RoleInstructor}, false},
		{"admin", auth.Identity{UserID: "root", Role: auth.RoleAdmin}, true},
	}
	for _, tt := range tests {
		got, err := s.Entitled(ctx, tt.v, "course", "teacher")
		if err != nil || got != tt.want {
			t.Errorf("%s: Entitled = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	// An instructor id of "" (no instructor) owns nothing for anonymous
	// callers, whose id is "" too.
	if enrolment.Owns(auth.Identity{}, "") {
		t.Error("an anonymous caller owns a course without instructor")
	}
	if _, err := s.Unenrol(ctx, "student", "course"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Entitled(ctx, auth.Identity{UserID: "student", Role: auth.RoleStudent}, "course", "teacher"); ok {
		t.Error("still entitled after unenrolling (a refund)")
	}
}

// RemoveUser unenrols a deleted user from every course and leaves others'
// enrolments alone; enrolling twice adds once.
func TestRemoveUser(t *testing.T) {
	ctx := context.Background()
	repo := &memRepo{byUser: map[string][]enrolment.Enrolment{}}
	s := enrolment.NewService(enrolment.Deps{Repo: repo})
	for _, c := range []string{"a", "b", "c", "a"} {
		if _, err := s.Enrol(ctx, "gone", c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Enrol(ctx, "stays", "a"); err != nil {
		t.Fatal(err)
	}
	if n := len(repo.byUser["gone"]); n != 3 {
		t.Fatalf("%d enrolments after enrolling in a twice, want 3", n)
	}
	if err := s.RemoveUser(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if n := len(repo.byUser["gone"]); n != 0 {
		t.Errorf("%d enrolments left for the removed user", n)
	}
	if ok, _ := s.IsEnrolled(ctx, "stays", "a"); !ok {
		t.Error("another user's enrolment went too")
	}
}

// countingRepo counts the enrolment reads.
type countingRepo struct {
	memRepo
	reads int
}

func (c *countingRepo) IsEnrolled(ctx context.Context, userID, courseID string) (bool, error) {
	c.reads++
	return c.memRepo.IsEnrolled(ctx, userID, courseID)
}

// Enrolments the request already read answer without a read; anything
// else (another course, another user) is still read, so an enrolment made
// during the request counts.
func TestEntitledUsesKnownEnrolments(t *testing.T) {
	repo := &countingRepo{memRepo: memRepo{byUser: map[string][]enrolment.Enrolment{}}}
	s := enrolment.NewService(enrolment.Deps{Repo: repo})
	ctx := enrolment.WithKnown(context.Background(), "student", []enrolment.Enrolment{{CourseID: "known"}})
	student := auth.Identity{UserID: "student", Role: auth.RoleStudent}
	if ok, err := s.Entitled(ctx, student, "known", "teacher"); err != nil || !ok || repo.reads != 0 {
		t.Errorf("a known enrolment: %v, %v after %d reads; want true without a read", ok, err, repo.reads)
	}
	if _, err := s.Enrol(ctx, "student", "new"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Entitled(ctx, student, "new", "teacher"); !ok || repo.reads != 1 {
		t.Errorf("enrolled during the request: %v after %d reads; want true, read", ok, repo.reads)
	}
	other := auth.Identity{UserID: "other", Role: auth.RoleStudent}
	if ok, _ := s.Entitled(ctx, other, "known", "teacher"); ok || repo.reads != 2 {
		t.Errorf("another user with the same context: %v after %d reads; want false, read", ok, repo.reads)
	}
}
