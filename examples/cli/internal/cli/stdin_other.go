//go:build !linux && !darwin

package cli

import "os"

// inBackground cannot tell the foreground job here, so it treats every
// terminal as one that may not be read without being stopped.
func inBackground(f *os.File) bool { return isTerminal(f) }
