// Package apperr defines the coded errors that domain packages return. A
// code says whose fault a failure is and how a client should react; the
// HTTP adapter maps each code to one status (package restapi). Only
// Internal and Unavailable errors are logged: the others are the client's.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error.
type Code string

// The codes. Keep the set small: a new code needs a reason a client would
// act on differently.
const (
	Invalid      Code = "invalid"      // malformed or unacceptable input
	Unauthorized Code = "unauthorized" // no, bad or expired credentials
	Forbidden    Code = "forbidden"    // credentials fine, action not allowed
	NotFound     Code = "not_found"    // the named thing does not exist (for this caller)
	Conflict     Code = "conflict"     // the request clashes with current state
	TooLarge     Code = "too_large"    // the request body exceeds the limit
	Throttled    Code = "throttled"    // too many attempts: wait (sign-in's lock; API Gateway's throttling names its answers so too)
	Unavailable  Code = "unavailable"  // a dependency (the database) cannot be reached
	Internal     Code = "internal"     // a bug or an unexpected infrastructure failure
)

// Error is an error with a code and a message safe to show a client.
type Error struct {
	Code    Code
	Message string
	// Field names the request field at fault, if any.
	Field string
	// Err is the underlying cause, never shown to a client.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a formatted client message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error about one request field.
func Field(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a code that keeps err as its cause.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
