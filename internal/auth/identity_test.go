package auth

import (
	"context"
	"testing"
)

func TestIdentityContext(t *testing.T) {
	ctx := context.Background()
	if id, ok := IdentityFrom(ctx); ok {
		t.Fatalf("IdentityFrom(empty) = %+v, true", id)
	}
	want := Identity{UserID: testUserID, Role: RoleInstructor}
	got, ok := IdentityFrom(WithIdentity(ctx, want))
	if !ok || got != want {
		t.Errorf("IdentityFrom = %+v, %v; want %+v, true", got, ok, want)
	}
	// A value stored under a look-alike key is not an identity.
	type identityKey struct{}
	if _, ok := IdentityFrom(context.WithValue(ctx, identityKey{}, want)); ok {
		t.Error("IdentityFrom found a value stored under a foreign key")
	}
}
