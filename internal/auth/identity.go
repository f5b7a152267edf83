// Package auth issues and checks the service's credentials: JWTs, bcrypt
// password hashes and password-reset tokens. It also carries the caller's
// identity in a context. It knows nothing of HTTP or the database.
package auth

import "context"

// Role is what a user may do.
type Role string

// The roles. Students are the default; admins are created by an operator.
const (
	RoleStudent    Role = "student"
	RoleInstructor Role = "instructor"
	RoleAdmin      Role = "admin"
)

// Identity is the authenticated caller of a request.
type Identity struct {
	UserID string
	Role   Role
}

type identityKey struct{}

// WithIdentity returns a copy of ctx that carries id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity in ctx, and false when there is none.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}
