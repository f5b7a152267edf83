// Package apperr defines the few kinds of error the domain reports, so that
// the HTTP layer can map each kind to one status code in one table, and the
// stable machine-readable code each client-facing error carries.
package apperr

import (
	"errors"
	"time"
)

// Kind classifies an error for the client.
type Kind int

// The kinds of error. The zero value is an internal error.
const (
	Internal         Kind = iota // a fault of ours; never shown to clients
	Invalid                      // bad input
	Unauthenticated              // no or bad credentials
	Forbidden                    // authenticated but not allowed
	NotFound                     // no such resource (or not visible to the caller)
	MethodNotAllowed             // the resource does not take this method
	Conflict                     // the state of a resource forbids the request
	TooLarge                     // a body or upload over its limit
	HeadersTooLarge              // request headers over their limit
	Unsupported                  // a body of a type the endpoint does not take
	TooManyRequests              // a rate limit was reached
	Upstream                     // a service we depend on failed
	Unavailable                  // a feature or dependency is not available now
)

// Codes that several packages share. Every other code is declared with its
// error, next to the message it stands for.
const (
	// CodeInternal is the code of every error that is not shown to clients.
	CodeInternal = "internal_error"
	// CodeValidation is the code of Validation errors.
	CodeValidation = "validation_failed"
)

// FieldError reports one invalid input field.
type FieldError struct {
	Field   string
	Message string
}

// Error is an error with a kind, a stable code and a message that are safe
// to show to clients. A code names one meaning for good: it is never reused
// for another.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  []FieldError
	// RetryAfter, when set, tells the client when to try again (a 503 of
	// a queue that is full, say).
	RetryAfter time.Duration
	Err        error // the cause, for logs only
}

// Error returns the message, followed by the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is matches an error declared once (var ErrX = apperr.New(…)) also
// when it was returned with a cause attached.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == e.Message
}

// Wrap returns a copy of e with cause attached; clients still see only
// e's code and message, the logs see the cause.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// New returns an error of the given kind with a stable code and a
// client-safe message.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// ValidationMessage is the message of every validation error.
const ValidationMessage = "Validation failed"

// Validation returns an Invalid error listing every bad field, or nil when
// fields is empty.
func Validation(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Code: CodeValidation, Message: ValidationMessage, Fields: fields}
}

// Relabel returns as, with err for its cause, when err is of the given
// kind, and err otherwise: it gives an error from below (say, a not-found
// course) the meaning it has for the caller (say, a purchase whose course
// is gone).
func Relabel(err error, kind Kind, as *Error) error {
	if Is(err, kind) {
		return as.Wrap(err)
	}
	return err
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of the given kind.
func Is(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}
