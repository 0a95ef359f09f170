package httpserver

import (
	"errors"

	"github.com/uketsuke/uketsuke/notify"
)

// isUnknownCode reports whether a code check-in failed because no
// appointment of the organization has the code.
func isUnknownCode(err error) bool {
	return errors.Is(err, notify.ErrUnknownCode)
}
