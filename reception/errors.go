package reception

import (
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) by every Store when the organization or the
// entity asked for does not exist, or belongs to another organization: a store
// never tells one tenant that another tenant's ID exists.
var ErrNotFound = errors.New("reception: not found")

// ErrConflict is returned (wrapped) by every Store when a write loses against
// the current state: a duplicate ID or dedupe key, a bot ID already used by
// another organization, a claim on a visit someone else handles, a lease that
// moved to another owner, a reminder another replica already recorded.
var ErrConflict = errors.New("reception: conflict")

// ErrInvalid is returned (wrapped) when a value fails validation. The error
// chain holds one [FieldError] per offending field; see [FieldErrors].
var ErrInvalid = errors.New("reception: invalid")

// FieldError says which field of a value is wrong and why. It wraps
// [ErrInvalid], so errors.Is(err, ErrInvalid) holds for it. Msg never quotes a
// secret value.
type FieldError struct {
	// Field is the dotted path of the field inside the value validated,
	// e.g. "Integration.ClientID" or "Entries[1].DedupeKey".
	Field string
	// Msg says what is wrong, e.g. "is required".
	Msg string
}

// Error implements error.
func (e *FieldError) Error() string {
	return "reception: invalid " + e.Field + ": " + e.Msg
}

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// FieldErrors returns every FieldError in err's chain (including those
// combined with errors.Join), in order, so a form can mark each field.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// fieldErrs collects FieldErrors while validating one value.
type fieldErrs struct {
	prefix string
	errs   []error
}

func (f *fieldErrs) add(field, msg string) {
	f.errs = append(f.errs, &FieldError{Field: f.prefix + field, Msg: msg})
}

func (f *fieldErrs) addf(field, format string, args ...any) {
	f.add(field, fmt.Sprintf(format, args...))
}

// nest adds the FieldErrors of err (from validating a nested value) under
// field, e.g. "Entries[1]" + "." + "DedupeKey".
func (f *fieldErrs) nest(field string, err error) {
	for _, fe := range FieldErrors(err) {
		f.errs = append(f.errs, &FieldError{Field: f.prefix + field + "." + fe.Field, Msg: fe.Msg})
	}
}

func (f *fieldErrs) err() error { return errors.Join(f.errs...) }

// ClaimConflictError is returned by ClaimVisit when the visit cannot be
// claimed: another user already handles it, or it is closed. It reports the
// current handler so the caller can tell the late tapper who has it.
// errors.Is(err, ErrConflict) holds for it.
type ClaimConflictError struct {
	// Handler is the LINE WORKS user ID of the current handler; empty when
	// the visit was closed without one.
	Handler string
	// At is when Handler claimed the visit.
	At time.Time
	// Status is the visit's status when the claim was refused.
	Status VisitStatus
}

// Error implements error.
func (e *ClaimConflictError) Error() string {
	if e.Status == StatusClosed {
		if e.Handler == "" {
			return "reception: visit is closed"
		}
		return fmt.Sprintf("reception: visit is closed (handled by %s)", e.Handler)
	}
	return fmt.Sprintf("reception: visit already handled by %s since %s", e.Handler, e.At.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrConflict.
func (e *ClaimConflictError) Is(target error) bool { return target == ErrConflict }

// conflictf returns an error wrapping ErrConflict.
func conflictf(format string, args ...any) error {
	return fmt.Errorf("reception: "+format+": %w", append(args, ErrConflict)...)
}
