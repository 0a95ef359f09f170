// Command uketsuke is the uketsuke command-line tool: credential checks, bot
// and channel management, messages, check-ins, signed callbacks and a fake
// LINE WORKS for local development. Install it with
//
//	go install github.com/uketsuke/uketsuke/examples/cli/uketsuke@latest
//
// (go install names the binary after this directory, which is why the one
// main package lives here and not in examples/cli). From a clone, run it with
// "go run ./examples/cli/uketsuke". Run "uketsuke help" for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/uketsuke/uketsuke/examples/cli/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
