// Command cli is the uketsuke command-line tool, runnable from a clone with
// "go run ./examples/cli <command>". To install it as a binary named
// uketsuke, use its twin package:
//
//	go install github.com/uketsuke/uketsuke/examples/cli/uketsuke@latest
//
// Run "uketsuke help" for the commands.
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
