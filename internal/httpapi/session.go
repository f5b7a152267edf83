package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/user"
)

// sessionCookie is the cookie that carries the JWT.
const sessionCookie = "token"

const msgNotLoggedIn = "You are not logged in"

// setSession sets the session cookie for a token valid until expires.
func (s *server) setSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		MaxAge:   int(time.Until(expires).Seconds()),
		Expires:  expires,
		HttpOnly: true,
		Secure:   s.opts.CookieSecure,
		SameSite: s.opts.CookieSameSite,
	})
}

// clearSession removes the session cookie.
func (s *server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.opts.CookieSecure,
		SameSite: s.opts.CookieSameSite,
	})
}

func sessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// requireUser lets only requests with a valid session through, with the
// caller's identity in the context.
func (s *server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := sessionToken(r)
		if token == "" {
			s.writeError(w, r, apperr.New(apperr.Unauthenticated, "not_authenticated", msgNotLoggedIn))
			return
		}
		id, u, err := s.users.Authenticate(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), id, u)))
	})
}

// optionalUser puts the caller's identity in the context when the request
// has a valid session, and lets it through as anonymous otherwise.
func (s *server) optionalUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token := sessionToken(r); token != "" {
			id, u, err := s.users.Authenticate(r.Context(), token)
			switch {
			case err == nil:
				r = r.WithContext(withSession(r.Context(), id, u))
			case !apperr.Is(err, apperr.Unauthenticated):
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// requireRole lets through only callers with one of the roles; it goes after
// requireUser.
func (s *server) requireRole(roles ...auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := auth.IdentityFrom(r.Context())
			for _, role := range roles {
				if id.Role == role {
					next.ServeHTTP(w, r)
					return
				}
			}
			s.writeError(w, r, apperr.New(apperr.Forbidden, "forbidden_role", "You do not have permission to perform this action"))
		})
	}
}

// caller returns the identity requireUser or optionalUser stored; ok is
// false for anonymous callers.
func caller(r *http.Request) (auth.Identity, bool) {
	return auth.IdentityFrom(r.Context())
}

type sessionUserKey struct{}

// withSession stores the caller's identity and account, as Authenticate
// read them, in ctx.
// Its enrolments answer the request's entitlement checks (see
// enrolment.WithKnown).
func withSession(ctx context.Context, id auth.Identity, u *user.User) context.Context {
	ctx = enrolment.WithKnown(ctx, u.ID, u.EnrolledCourses)
	return context.WithValue(auth.WithIdentity(ctx, id), sessionUserKey{}, u)
}

// sessionUser returns the caller's account as read when the request was
// authenticated (after requireUser it is never nil).
func sessionUser(r *http.Request) *user.User {
	u, _ := r.Context().Value(sessionUserKey{}).(*user.User)
	return u
}
