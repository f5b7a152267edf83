package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
	"github.com/go-chi/httprate"
	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/mongodb"
)

type requestIDKey struct{}

// requestIDFrom returns the request id the requestID middleware stored.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID takes X-Request-Id from the request when it is sane, else makes
// one, and echoes it on the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one log line per request and records its metrics,
// the database commands it ran included.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		ctx, commands := mongodb.CountCommands(r.Context())
		r = r.WithContext(ctx)
		defer func() {
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			elapsed := time.Since(start)
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
				route = rc.RoutePattern()
			}
			s.metrics.observe(r.Method, route, rec.status, elapsed, commands)
			s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", requestIDFrom(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", logPath(r)),
				slog.String("route", route),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed),
				slog.String("ip", s.clientIP(r)))
		}()
		next.ServeHTTP(rec, r)
	})
}

// logPath is the request path with secrets in it (password-reset tokens)
// blanked, so that logs never hold a usable token.
func logPath(r *http.Request) string {
	rc := chi.RouteContext(r.Context())
	if rc == nil {
		return r.URL.Path
	}
	path := r.URL.Path
	for i, key := range rc.URLParams.Keys {
		if key == "token" && rc.URLParams.Values[i] != "" {
			path = strings.Replace(path, rc.URLParams.Values[i], "[redacted]", 1)
		}
	}
	return path
}

// recoverPanics turns a panic into a 500 envelope, logged with the request id.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.writeError(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets helmet's headers on every response.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-site")
		h.Set("X-DNS-Prefetch-Control", "off")
		if s.opts.Production {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// corsHandler allows the SPA's origins, with credentials. Preflights answer
// 204 (go-chi/cors would answer 200).
func (s *server) corsHandler() func(http.Handler) http.Handler {
	c := cors.New(cors.Options{
		AllowedOrigins:     s.opts.ClientURLs,
		AllowedMethods:     []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"},
		AllowedHeaders:     []string{"Content-Type", "X-Request-Id"},
		ExposedHeaders:     []string{"X-Request-Id", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"},
		AllowCredentials:   true,
		MaxAge:             600,
		OptionsPassthrough: true,
	})
	return func(next http.Handler) http.Handler {
		return c.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The same test go-chi/cors uses to recognise a preflight.
			if _, origin := r.Header["Origin"]; origin && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		}))
	}
}

// crossOriginProtection refuses state-changing browser requests from origins
// that are neither this service nor an allowed SPA origin.
func (s *server) crossOriginProtection() (func(http.Handler) http.Handler, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range s.opts.ClientURLs {
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("CLIENT_URL %q: %w", o, err)
		}
	}
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apperr.New(apperr.Forbidden, "cross_origin_refused", "Cross-origin request refused"))
	}))
	return p.Handler, nil
}

// The answers of the rate limiters.
var (
	errIPRateLimited      = apperr.New(apperr.TooManyRequests, "rate_limited", "Too many request from this IP, please try later")
	errAccountRateLimited = apperr.New(apperr.TooManyRequests, "account_rate_limited", "Too many attempts for this account, please try later")
)

// newLimiter returns a rate limiter that allows limit requests per window
// and key; over the limit it answers limited (a 429) with the real time
// left until the window resets. Counters live in Redis when REDIS_URL is
// set.
func (s *server) newLimiter(limit int, window time.Duration, key httprate.KeyFunc, limited *apperr.Error) *httprate.RateLimiter {
	opts := []httprate.Option{
		httprate.WithKeyFuncs(key),
		httprate.WithResponseHeaders(httprate.ResponseHeaders{
			Limit:      "RateLimit-Limit",
			Remaining:  "RateLimit-Remaining",
			Reset:      "RateLimit-Reset",
			RetryAfter: "Retry-After",
		}),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			if reset, err := strconv.ParseInt(w.Header().Get("RateLimit-Reset"), 10, 64); err == nil {
				left := max(1, reset-time.Now().Unix())
				w.Header().Set("Retry-After", strconv.FormatInt(left, 10))
			}
			s.writeError(w, r, limited)
		}),
		httprate.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			s.writeError(w, r, fmt.Errorf("rate limit counter: %w", err))
		}),
	}
	if s.newCounter != nil {
		opts = append(opts, httprate.WithLimitCounter(s.newCounter()))
	}
	return httprate.NewRateLimiter(limit, window, opts...)
}

// perAccountLimited applies the per-email or per-token limit of sign-in and
// password reset; when it answers 429 itself, it returns true.
func (s *server) perAccountLimited(w http.ResponseWriter, r *http.Request, key string) bool {
	return s.accountLimiter.RespondOnLimit(w, r, key)
}

// clientIP is the socket peer, unless the peer is a trusted proxy: then it
// is the last address in X-Forwarded-For that is not a trusted proxy.
func (s *server) clientIP(r *http.Request) string {
	peer := remoteAddr(r)
	if !s.trusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a.String()
		}
	}
	return peer.String()
}

func (s *server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

// mediaWriteTime is how long serving one media response may take: a long
// video over a slow link.
const mediaWriteTime = 4 * time.Hour

// longWrites lifts the server's write timeout for media downloads.
func longWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(mediaWriteTime))
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies at limit(r) bytes: a declared length over it
// is refused at once, a body that runs over it fails its read. It is the
// one place a body cap is enforced. Multipart uploads are left to the
// handlers, which cap each part while streaming it.
func (s *server) limitBody(limitOf func(*http.Request) int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !hasMediaType(r, "multipart/form-data") {
				limit := limitOf(r)
				if r.ContentLength > limit {
					s.writeError(w, r, errBodyTooLarge)
					return
				}
				r.Body = http.MaxBytesReader(w, r.Body, limit)
			}
			next.ServeHTTP(w, r)
		})
	}
}
