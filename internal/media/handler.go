package media

import (
	"net/http"
	"strings"

	"github.com/lms-backend/lms/internal/apperr"
)

// mediaPrefix is the path under which Handler serves objects.
const mediaPrefix = "/media/"

// Errors of Serve.
var (
	ErrMediaNotFound    = apperr.New(apperr.NotFound, "media_not_found", "Media not found")
	ErrInvalidMediaLink = apperr.New(apperr.Forbidden, "invalid_media_link", "Invalid or expired media link")
	errMethodNotAllowed = apperr.New(apperr.MethodNotAllowed, "method_not_allowed", "Method not allowed")
)

// Serve serves a stored object at /media/<key>; it returns the error for
// the caller's one error writer to answer. Mount it at "/media/" without
// stripping the prefix (chi: r.Handle("/media/*", …)); it reads the full
// request path.
//
// Only objects of an Opener backend (Local) are served: images to anyone,
// videos and captions only with an unexpired signature from VideoURL or
// CaptionURL (otherwise ErrInvalidMediaLink). GET and HEAD are allowed, with Range support.
// Unknown or malformed keys are ErrMediaNotFound. Objects of other backends
// (S3) are fetched from the backend, so they are not found here.
func (s *Store) Serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return errMethodNotAllowed
	}
	key, found := strings.CutPrefix(r.URL.Path, mediaPrefix)
	contentType, signed, ok := parseKey(key)
	if !found || !ok || s.opener == nil {
		return ErrMediaNotFound
	}
	if signed {
		q := r.URL.Query()
		if !validSignature(s.cfg.SigningKey, key, q.Get("exp"), q.Get("sig"), s.cfg.Now()) {
			return ErrInvalidMediaLink
		}
	}
	f, err := s.opener.Open(key)
	if err != nil {
		// Missing, or refused by the root check: either way not ours to serve.
		return ErrMediaNotFound
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return ErrMediaNotFound
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if signed {
		h.Set("Cache-Control", "private, no-store")
	} else {
		// Keys are random and never reused, so an image never changes.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
	return nil
}
