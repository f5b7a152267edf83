package media

import (
	"encoding/json"
	"net/http"
	"strings"
)

// mediaPrefix is the path under which Handler serves objects.
const mediaPrefix = "/media/"

// Handler serves stored objects at /media/<key>. Mount it at "/media/"
// without stripping the prefix (http.ServeMux: mux.Handle("/media/", h);
// chi: r.Handle("/media/*", h)); it reads the full request path.
//
// Only objects of an Opener backend (Local) are served: images to anyone,
// videos only with an unexpired signature from VideoURL (otherwise 403
// "Invalid or expired media link"). GET and HEAD are allowed, with Range
// support. Unknown or malformed keys answer 404 JSON. Objects of other
// backends (S3) are fetched from the backend, so Handler answers 404.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(s.serveMedia)
}

func (s *Store) serveMedia(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeFail(w, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	key, found := strings.CutPrefix(r.URL.Path, mediaPrefix)
	contentType, video, ok := parseKey(key)
	if !found || !ok || s.opener == nil {
		writeFail(w, http.StatusNotFound, "Media not found")
		return
	}
	if video {
		q := r.URL.Query()
		if !validSignature(s.cfg.SigningKey, key, q.Get("exp"), q.Get("sig"), s.cfg.Now()) {
			writeFail(w, http.StatusForbidden, "Invalid or expired media link")
			return
		}
	}
	f, err := s.opener.Open(key)
	if err != nil {
		// Missing, or refused by the root check: either way not ours to serve.
		writeFail(w, http.StatusNotFound, "Media not found")
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		writeFail(w, http.StatusNotFound, "Media not found")
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if video {
		h.Set("Cache-Control", "private, no-store")
	} else {
		// Keys are random and never reused, so an image never changes.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// writeFail writes the API's 4xx error body.
func writeFail(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}{"fail", message})
}
