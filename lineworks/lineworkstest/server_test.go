package lineworkstest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestServerOptionsInvalid checks that a bad option value stops NewServer
// with an error naming the option, instead of a fake that misbehaves later.
func TestServerOptionsInvalid(t *testing.T) {
	t.Parallel()
	for want, opt := range map[string]lineworkstest.ServerOption{
		"WithTokenLifetime(0s)":   lineworkstest.WithTokenLifetime(0),
		"WithTokenLifetime(-1s)":  lineworkstest.WithTokenLifetime(-time.Second),
		"WithClock(nil)":          lineworkstest.WithClock(nil),
		"WithCallbackClient(nil)": lineworkstest.WithCallbackClient(nil),
	} {
		func() {
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, lineworks.ErrInvalidArgument) || !strings.Contains(err.Error(), want) {
					t.Errorf("NewServer(%s) panicked with %v; want ErrInvalidArgument naming the option", want, err)
				}
			}()
			lineworkstest.NewServer(opt).Close()
		}()
	}
	// Nil options are skipped, as in package lineworks.
	lineworkstest.NewServer(nil, lineworkstest.WithTokenLifetime(time.Minute)).Close()
}
