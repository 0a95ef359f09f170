//go:build linux || darwin

package cli

import (
	"os"
	"syscall"
	"unsafe"
)

// inBackground reports whether f is a terminal whose foreground job is not
// this process's: reading it would stop the process (SIGTTIN), so
// "uketsuke fake &" must not read its commands from it.
func inBackground(f *os.File) bool {
	var pgrp int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp)))
	if errno != 0 {
		return false // not a terminal: a pipe or a file is safe to read
	}
	return int(pgrp) != syscall.Getpgrp()
}
