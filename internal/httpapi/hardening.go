package httpapi

import (
	"net/http"
	"net/netip"

	"github.com/go-chi/httprate"

	"github.com/lms-backend/lms/internal/apperr"
)

// maxHeaderBytes caps the request line and headers of a request. The HTTP
// server's own, higher cap (1 MiB by default) answers in plain text; this one
// answers 431 with the JSON error body every other error has.
const maxHeaderBytes = 32 << 10

var errHeadersTooLarge = apperr.New(apperr.HeadersTooLarge, "headers_too_large", "Request header fields too large")

// limitHeaders refuses requests whose request line and headers exceed
// maxHeaderBytes.
func (s *server) limitHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + len(r.Host)
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4 // ": " and CRLF
			}
		}
		if n > maxHeaderBytes {
			w.Header().Set("Connection", "close")
			s.writeError(w, r, errHeadersTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// noStore marks every response as not to be stored by browsers or proxies
// (sessions, tokens and personal data travel in API bodies). A handler
// that allows caching sets its own Cache-Control, which replaces this one.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// rateKey is the rate-limit key of a client address: the address itself
// for IPv4, its /64 network for IPv6, since one IPv6 client usually holds a
// whole /64 and could otherwise spend a new budget with every address.
func rateKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// clientKey is the rate-limit key of the client that sent r.
func (s *server) clientKey(r *http.Request) string {
	return rateKey(s.clientIP(r))
}

// refund takes back one request that l counted for key: a sign-in that
// succeeded is not a failure. Any answer l would write is discarded.
func refund(l *httprate.RateLimiter, r *http.Request, key string) {
	l.OnLimit(discardWriter{}, r.WithContext(httprate.WithIncrement(r.Context(), -1)), key)
}

// discardWriter is a ResponseWriter that drops everything.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

// authPerClient applies the per-client limit of the auth routes. Its
// RateLimit-* headers appear only on its own 429: on other answers the
// general per-IP limit's headers describe the client's budget.
func (s *server) authPerClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authIPLimiter.RespondOnLimit(&headersOnAnswer{ResponseWriter: w, header: http.Header{}}, r, s.clientKey(r)) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headersOnAnswer collects headers and passes them on only if an answer is
// written through it.
type headersOnAnswer struct {
	http.ResponseWriter
	header http.Header
	wrote  bool
}

func (h *headersOnAnswer) Header() http.Header { return h.header }

func (h *headersOnAnswer) WriteHeader(code int) {
	if !h.wrote {
		h.wrote = true
		for k, v := range h.header {
			h.ResponseWriter.Header()[k] = v
		}
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headersOnAnswer) Write(b []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}
