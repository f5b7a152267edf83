package httpapi

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
)

// docsUI holds the reference page: Swagger UI, vendored from npm by
// scripts/vendor-docs-ui.sh (version in docsui/VERSION), and the page and
// script that start it.
//
//go:embed docsui/index.html docsui/docs.js docsui/swagger-ui.css docsui/swagger-ui-bundle.js
var docsUI embed.FS

// docsCSP lets the reference page run its own served scripts and call this
// origin, and nothing else: no inline script, no CDN. Swagger UI sets style
// attributes, hence 'unsafe-inline' for styles only; its icons are data: URIs.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

// docsAsset is one file of the reference page.
type docsAsset struct {
	body        []byte
	contentType string
	etag        string
}

// docsAssets maps the names served under /api/docs to their files; the page
// itself is "".
func docsAssets() (map[string]docsAsset, error) {
	files := map[string]struct{ file, contentType string }{
		"":                     {"docsui/index.html", "text/html; charset=utf-8"},
		"docs.js":              {"docsui/docs.js", "text/javascript; charset=utf-8"},
		"swagger-ui-bundle.js": {"docsui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
		"swagger-ui.css":       {"docsui/swagger-ui.css", "text/css; charset=utf-8"},
	}
	out := make(map[string]docsAsset, len(files))
	for name, f := range files {
		body, err := docsUI.ReadFile(f.file)
		if err != nil {
			return nil, fmt.Errorf("reference page: %w", err)
		}
		sum := sha256.Sum256(body)
		out[name] = docsAsset{body: body, contentType: f.contentType, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out, nil
}

// docsHandler serves GET /api/docs (the page) and GET /api/docs/{asset}.
func docsHandler() (handlerFunc, error) {
	assets, err := docsAssets()
	if err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		a, ok := assets[chi.URLParam(r, "asset")]
		if !ok {
			return apperr.New(apperr.NotFound, "route_not_found", "Route not found")
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Content-Security-Policy", docsCSP)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
		return nil
	}, nil
}
