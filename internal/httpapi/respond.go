package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/lms-backend/lms/internal/apperr"
)

// statusOf is the one table from error kinds to HTTP status codes.
func statusOf(kind apperr.Kind) int {
	switch kind {
	case apperr.Invalid:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.Upstream:
		return http.StatusBadGateway
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

const internalErrorMessage = "Internal server error"

var errBodyTooLarge = apperr.New(apperr.TooLarge, "Request body too large")

// errMethodNotAllowed is 405, a status no domain kind names (see statusOverride).
var errMethodNotAllowed = apperr.New(apperr.Invalid, "Method not allowed")

type errorBody struct {
	Status  string       `json:"status"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
	Stack   string       `json:"stack,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// writeJSON encodes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes the error body for err: the one place that does. 5xx
// errors are logged once, with the request id, and never show their cause
// unless the service runs in development.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		err = errBodyTooLarge
	}
	if e, ok := apperr.As(err); (!ok || e.Kind == apperr.Internal) && s.unavailable(r, err) {
		err = apperr.Wrap(apperr.Unavailable, unavailableMessage, err)
	}
	body := errorBody{Status: "fail", Message: internalErrorMessage}
	status := http.StatusInternalServerError
	if e, ok := apperr.As(err); ok {
		status = statusOf(e.Kind)
		if st, ok := statusOverride(err); ok {
			status = st
		}
		if e.Kind != apperr.Internal {
			body.Message = e.Message
		}
		for _, f := range e.Fields {
			body.Errors = append(body.Errors, fieldError{Field: f.Field, Message: f.Message})
		}
	}
	if hasMediaType(r, "multipart/form-data") {
		// The upload may be unread and huge: close the connection instead
		// of letting the server drain it before answering.
		w.Header().Set("Connection", "close")
	}
	if status >= 500 {
		body.Status = "error"
		s.logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestIDFrom(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", logPath(r)),
			slog.Int("status", status),
			slog.String("err", err.Error()))
		if s.cfg.AppEnv == "development" {
			body.Stack = err.Error()
		}
	}
	writeJSON(w, status, body)
}

// statusOverride gives the status of the few errors whose status no
// domain kind names.
func statusOverride(err error) (int, bool) {
	switch {
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, true
	case errors.Is(err, errTooManyUploads):
		return http.StatusTooManyRequests, true
	case errors.Is(err, errUploadStalled):
		return http.StatusRequestTimeout, true
	}
	return 0, false
}

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc, writing any error it returns.
func (s *server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}
