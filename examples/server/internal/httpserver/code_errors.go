package httpserver

import (
	"errors"

	"github.com/uketsuke/uketsuke/reception"
)

// isUnknownCode reports whether a code check-in failed because no
// appointment of the organization has the code.
func isUnknownCode(err error) bool {
	return errors.Is(err, reception.ErrNotFound) // TODO(merge): notify.ErrUnknownCode
}
