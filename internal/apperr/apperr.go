// Package apperr defines the few kinds of error the domain reports, so that
// the HTTP layer can map each kind to one status code in one table.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the client.
type Kind int

// The kinds of error. The zero value is an internal error.
const (
	Internal        Kind = iota // a fault of ours; never shown to clients
	Invalid                     // bad input
	Unauthenticated             // no or bad credentials
	Forbidden                   // authenticated but not allowed
	NotFound                    // no such resource (or not visible to the caller)
	Conflict                    // the state of a resource forbids the request
	TooLarge                    // a body or upload over its limit
	Unsupported                 // a body of a type the endpoint does not take
	Upstream                    // a service we depend on failed
	Unavailable                 // a feature or dependency is not available now
)

// FieldError reports one invalid input field.
type FieldError struct {
	Field   string
	Message string
}

// Error is an error with a kind and a message that is safe to show to clients.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	Err     error // the cause, for logs only
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

// New returns an error of the given kind with a client-safe message.
func New(kind Kind, message string) error {
	return &Error{Kind: kind, Message: message}
}

// Newf is New with a formatted message.
func Newf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind with a client-safe message and a
// cause that only the logs see.
func Wrap(kind Kind, message string, cause error) error {
	return &Error{Kind: kind, Message: message, Err: cause}
}

// ValidationMessage is the message of every validation error.
const ValidationMessage = "Validation failed"

// Validation returns an Invalid error listing every bad field, or nil when
// fields is empty.
func Validation(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: ValidationMessage, Fields: fields}
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
