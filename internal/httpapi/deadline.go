package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// errRequestTimeout is the cause of a request context that ended at the
// request's deadline.
var errRequestTimeout = errors.New("request deadline exceeded")

// errUnavailable answers a request that the database could not serve: it
// is unreachable, or did not answer before the request's deadline.
var errUnavailable = apperr.New(apperr.Unavailable, "service_unavailable", "Service temporarily unavailable")

// outageDetector is what a database may offer to tell its outage errors
// (no server, a broken connection, an operation timing out) from others.
type outageDetector interface {
	IsUnavailable(err error) bool
}

// limitRequestTime gives every request REQUEST_TIMEOUT in all. A multipart
// upload's deadline waits while its body streams in (readMultipart moves it
// with extendDeadline), since a large body may honestly take long.
func (s *server) limitRequestTime(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasMediaType(r, "multipart/form-data") {
			ctx, cancel := context.WithTimeoutCause(r.Context(), s.opts.RequestTimeout, errRequestTimeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx, cancel := context.WithCancelCause(r.Context())
		d := &movableDeadline{timer: time.AfterFunc(s.opts.RequestTimeout, func() { cancel(errRequestTimeout) })}
		defer func() {
			d.timer.Stop()
			cancel(nil)
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, movableDeadlineKey{}, d)))
	})
}

// movableDeadline ends an upload request's context when its timer fires.
type movableDeadline struct{ timer *time.Timer }

type movableDeadlineKey struct{}

// extendDeadline moves the deadline of an upload request to d from now;
// other requests keep theirs.
func extendDeadline(ctx context.Context, d time.Duration) {
	if md, ok := ctx.Value(movableDeadlineKey{}).(*movableDeadline); ok {
		md.timer.Reset(d)
	}
}

// unavailable reports whether err means the request could not be served in
// time because of the database: its deadline passed, or the database was
// unreachable.
func (s *server) unavailable(r *http.Request, err error) bool {
	if errors.Is(context.Cause(r.Context()), errRequestTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	od, ok := s.db.(outageDetector)
	return ok && od.IsUnavailable(err)
}
