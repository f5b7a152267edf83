package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

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
	case apperr.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.HeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.TooManyRequests:
		return http.StatusTooManyRequests
	case apperr.Upstream:
		return http.StatusBadGateway
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

const internalErrorMessage = "Internal server error"

var errBodyTooLarge = apperr.New(apperr.TooLarge, "body_too_large", "Request body too large")

var errMethodNotAllowed = apperr.New(apperr.MethodNotAllowed, "method_not_allowed", "Method not allowed")

type errorBody struct {
	Status  string       `json:"status"`
	Message string       `json:"message"`
	Code    string       `json:"code"`
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
		err = errUnavailable.Wrap(err)
	}
	body := errorBody{Status: "fail", Message: internalErrorMessage, Code: apperr.CodeInternal}
	status := http.StatusInternalServerError
	if e, ok := apperr.As(err); ok && e.Kind != apperr.Internal {
		status = statusOf(e.Kind)
		if errors.Is(err, errUploadStalled) {
			status = http.StatusRequestTimeout // a status no domain kind names
		}
		body.Message, body.Code = e.Message, e.Code
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
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
		if s.opts.Development {
			body.Stack = err.Error()
		}
	}
	writeJSON(w, status, body)
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
