package certificate_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/certificate"
)

// memRepo is a certificate.Repository in memory, for the rules that need
// no database (the HTTP tests run the real one).
type memRepo struct {
	mu    sync.Mutex
	certs map[string]certificate.Certificate
}

func (m *memRepo) Create(_ context.Context, c *certificate.Certificate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.certs[c.ID]; ok {
		return certificate.ErrExists
	}
	m.certs[c.ID] = *c
	return nil
}

func (m *memRepo) ByID(_ context.Context, id string) (*certificate.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.certs[id]
	if !ok {
		return nil, certificate.ErrNotFound
	}
	return &c, nil
}

func (m *memRepo) ByVerifyHash(_ context.Context, hash string) (*certificate.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.certs {
		if certificate.VerifyHash(c.VerifyID) == hash {
			return &c, nil
		}
	}
	return nil, certificate.ErrNotFound
}

func (m *memRepo) ByUser(context.Context, string) ([]certificate.Certificate, error) { return nil, nil }

func (m *memRepo) SetRevocation(_ context.Context, id string, r *certificate.Revocation) (*certificate.Certificate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.certs[id]
	if !ok {
		return nil, certificate.ErrNotFound
	}
	c.Revocation = r
	m.certs[id] = c
	return &c, nil
}

func (m *memRepo) DeleteByUser(context.Context, string) error { return nil }

const (
	userID   = "0123456789abcdef01234567"
	courseID = "89abcdef0123456789abcdef"
)

func newService(t *testing.T) (*certificate.Service, *memRepo, *certificate.Certificate) {
	t.Helper()
	vid, err := certificate.NewVerifyID()
	if err != nil {
		t.Fatal(err)
	}
	c := &certificate.Certificate{ID: certificate.IDFor(userID, courseID), UserID: userID, CourseID: courseID, VerifyID: vid}
	repo := &memRepo{certs: map[string]certificate.Certificate{c.ID: *c}}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return certificate.NewService(certificate.Deps{Repo: repo, Now: func() time.Time { return now }}), repo, c
}

func TestRevokeRefundedIsIdempotentAndKeepsAnAdminsReason(t *testing.T) {
	ctx := context.Background()
	s, repo, c := newService(t)

	if err := s.RevokeRefunded(ctx, userID, "ffffffffffffffffffffffff"); err != nil {
		t.Errorf("no certificate: %v, want nil", err)
	}
	for range 2 {
		if err := s.RevokeRefunded(ctx, userID, courseID); err != nil {
			t.Fatal(err)
		}
		got, _ := repo.ByID(ctx, c.ID)
		if got.Status() != certificate.StatusRevoked || got.Revocation.Reason != certificate.ReasonRefunded {
			t.Fatalf("after refund: %+v", got.Revocation)
		}
	}

	admin := auth.Identity{UserID: "admin", Role: auth.RoleAdmin}
	if _, err := s.Revoke(ctx, admin, c.ID, "fraud"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRefunded(ctx, userID, courseID); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.ByID(ctx, c.ID); got.Revocation.Reason != "fraud" {
		t.Errorf("a refund replaced the admin's reason: %+v", got.Revocation)
	}
}

func TestReinstatePurchasedUndoesOnlyARefund(t *testing.T) {
	ctx := context.Background()
	s, repo, c := newService(t)
	if err := s.ReinstatePurchased(ctx, userID, courseID); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.ByID(ctx, c.ID); got.Status() != certificate.StatusValid {
		t.Fatalf("a valid certificate changed: %+v", got.Revocation)
	}
	if err := s.RevokeRefunded(ctx, userID, courseID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.ReinstatePurchased(ctx, userID, courseID); err != nil {
			t.Fatal(err)
		}
		if got, _ := repo.ByID(ctx, c.ID); got.Status() != certificate.StatusValid {
			t.Fatalf("after a new purchase: %+v", got.Revocation)
		}
	}
	admin := auth.Identity{UserID: "admin", Role: auth.RoleAdmin}
	if _, err := s.Revoke(ctx, admin, c.ID, certificate.ReasonRefunded); err != nil {
		t.Fatal(err)
	}
	if err := s.ReinstatePurchased(ctx, userID, courseID); err != nil {
		t.Fatal(err)
	}
	if got, _ := repo.ByID(ctx, c.ID); got.Status() != certificate.StatusRevoked {
		t.Error("a purchase undid an admin's revocation (even one whose reason reads \"refunded\")")
	}
	if err := s.ReinstatePurchased(ctx, userID, "ffffffffffffffffffffffff"); err != nil {
		t.Errorf("no certificate: %v", err)
	}
}

func TestRevokeAndReinstateNeedAnAdmin(t *testing.T) {
	ctx := context.Background()
	s, _, c := newService(t)
	for _, v := range []auth.Identity{{UserID: userID, Role: auth.RoleStudent}, {UserID: "i", Role: auth.RoleInstructor}} {
		if _, err := s.Revoke(ctx, v, c.ID, "x"); !errors.Is(err, certificate.ErrAdminOnly) {
			t.Errorf("%s revokes: %v", v.Role, err)
		}
		if _, err := s.Reinstate(ctx, v, c.ID); !errors.Is(err, certificate.ErrAdminOnly) {
			t.Errorf("%s reinstates: %v", v.Role, err)
		}
	}
}

func TestVerifyChecksTheFormFirst(t *testing.T) {
	ctx := context.Background()
	s, _, c := newService(t)
	if got, err := s.Verify(ctx, c.VerifyID); err != nil || got.ID != c.ID {
		t.Fatalf("Verify(issued) = %v, %v", got, err)
	}
	for _, bad := range []string{"", c.VerifyID + "x", c.VerifyID[:31] + "="} {
		if _, err := s.Verify(ctx, bad); !errors.Is(err, certificate.ErrInvalidVerifyID) {
			t.Errorf("Verify(%q) = %v, want ErrInvalidVerifyID", bad, err)
		}
	}
	other, _ := certificate.NewVerifyID()
	if _, err := s.Verify(ctx, other); !errors.Is(err, certificate.ErrNotFound) {
		t.Errorf("Verify(unknown) = %v, want ErrNotFound", err)
	}
}
