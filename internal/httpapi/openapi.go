package httpapi

import (
	"fmt"
	"net/http"

	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// openAPIDocument returns the handler of GET /api/v1/openapi.json: the
// contract (internal/httpapi/openapi/openapi.yaml) as JSON, converted once.
func openAPIDocument() (http.HandlerFunc, error) {
	doc, err := openapi.JSON()
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	}, nil
}
