package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Code is the kind of an *Error; the HTTP layer turns it into a status.
type Code int

const (
	// Invalid input: the field at fault is named.
	Invalid Code = iota + 1
	// NotFound: what the request names does not exist.
	NotFound
	// Conflict with what is stored.
	Conflict
	// Upstream: LINE WORKS failed or could not be reached.
	Upstream
)

// Error is a use case's refusal, with the (JSON) name of the field at
// fault when there is one. Msg is what the admin reads.
type Error struct {
	Code  Code
	Field string
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

func invalid(field, msg string) *Error { return &Error{Code: Invalid, Field: field, Msg: msg} }

// NeedID checks an ID chosen by the admin.
func NeedID(field, id string) error {
	if !reception.ValidID(id) {
		return invalid(field, fmt.Sprintf("%s must be 1–%d characters of A–Z, a–z, 0–9, '-', '_' or '.'", field, reception.MaxIDLen))
	}
	return nil
}

// lineworksError explains LINE WORKS failures: wrong credentials name the
// field (Invalid), anything else is Upstream.
func lineworksError(err error) error {
	var (
		ce *lineworks.CredentialError
		te *lineworks.TokenError
		ae *lineworks.APIError
	)
	switch {
	case errors.As(err, &ce):
		return invalid(ce.Field, strings.TrimPrefix(ce.Error(), "lineworks: "))
	case errors.As(err, &te):
		return invalid(te.Field(), te.Error())
	case errors.Is(err, lineworks.ErrInvalidArgument):
		return invalid("", err.Error())
	case errors.As(err, &ae):
		return &Error{Code: Upstream, Msg: "LINE WORKS answered: " + ae.Error()}
	}
	return &Error{Code: Upstream, Msg: "LINE WORKS could not be reached: " + err.Error()}
}
