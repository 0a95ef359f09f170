// Command server is uketsuke's runnable reception server: the JSON API, the
// LINE WORKS callback endpoint, the notification engine and, until an
// organization has a LINE WORKS integration, a demo with a simulated LINE
// WORKS at /demo.
//
//	go run ./examples/server
//
// Configuration comes from flags and UKETSUKE_* environment variables of
// the same meaning (go run ./examples/server -h lists them).
//
// Two subcommands work on the database with the same settings, the server
// stopped: rotate-key re-seals the stored secrets with a new key, and
// reset-secrets clears the stored secrets its key cannot open (a lost key).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	// The zone database, for UKETSUKE_TIME_ZONE on machines (and
	// containers) without /usr/share/zoneinfo.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "uketsuke:", err)
		os.Exit(1)
	}
}
