// Package cli implements the uketsuke command-line tool: credential checks,
// bot and channel management, sending messages, check-ins and callbacks
// against a uketsuke server, and a standalone fake LINE WORKS for local
// development.
//
// The tool is a thin layer over package lineworks; Main is everything its
// main package (examples/cli/uketsuke) calls, so tests run each command
// in-process with buffers instead of a terminal.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Main runs the uketsuke command line args (without the program name) and
// returns the process exit code: 0 success, 1 failure, 2 usage error.
// getenv looks up environment variables (os.Getenv in production; nil means
// an empty environment). Output goes to stdout, errors and progress to
// stderr. ctx ends long-running commands such as fake.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return a.run(args)
}

// app is one invocation's environment. Nothing in it is global, so tests
// can run many invocations in parallel.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// hc, when set, makes every HTTP request (tests inject recorders).
	hc *http.Client
}

func (a *app) env(key string) string {
	if a.getenv == nil {
		return ""
	}
	return a.getenv(key)
}

// commands lists the top-level commands in the order help shows them.
var commands = []struct {
	name, summary string
	run           func(a *app, args []string) error
}{
	{"token", "fetch an access token and show its scopes and expiry", (*app).cmdToken},
	{"verify", "check a credential set end to end and print a checklist", (*app).cmdVerify},
	{"bot", "create, get, list and register bots (bot -h)", (*app).cmdBot},
	{"channel", "show a talk room or its members by ID (channel -h)", (*app).cmdChannel},
	{"send", "send a text or any content JSON to a channel or a user", (*app).cmdSend},
	{"rooms", "list the rooms a running uketsuke server knows of", (*app).cmdRooms},
	{"checkin", "check a visitor in through a running uketsuke server", (*app).cmdCheckin},
	{"callback", "sign callback bodies and post signed events (callback -h)", (*app).cmdCallback},
	{"fake", "run a fake LINE WORKS for local development", (*app).cmdFake},
	{"profile", "save, list and delete credential profiles (profile -h)", (*app).cmdProfile},
}

func (a *app) run(args []string) int {
	if len(args) == 0 {
		a.mainUsage(a.stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			return a.run([]string{args[1], "-h"})
		}
		a.mainUsage(a.stdout)
		return ExitOK
	}
	for _, c := range commands {
		if c.name == name {
			return a.exit(name, c.run(a, args[1:]))
		}
	}
	fmt.Fprintf(a.stderr, "uketsuke: unknown command %q\n\n", name)
	a.mainUsage(a.stderr)
	return ExitUsage
}

func (a *app) mainUsage(w io.Writer) {
	fmt.Fprint(w, `uketsuke — LINE WORKS tooling for uketsuke reception notifications

Usage: uketsuke <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes -h. Credentials come from flags, UKETSUKE_* environment
variables or a profile (--profile NAME), in that order of precedence; see
"uketsuke token -h". Exit codes: 0 ok, 1 failure, 2 usage error.
`)
}

// Errors that decide the exit code.
var (
	// errHelpShown: -h was given and the usage is already on stdout.
	errHelpShown = errors.New("help shown")
	// errReported: the failure is already on stderr (or, for verify, in the
	// checklist); exit 1 without another message.
	errReported = errors.New("failure reported")
)

// namedError carries the full name of the subcommand that failed, for the
// "uketsuke bot get: …" prefix.
type namedError struct {
	name string
	err  error
}

func (e *namedError) Error() string { return e.err.Error() }
func (e *namedError) Unwrap() error { return e.err }

// usageError is a command line the command cannot run; exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func (a *app) exit(cmd string, err error) int {
	var ue *usageError
	if ne := (*namedError)(nil); errors.As(err, &ne) {
		cmd, err = ne.name, ne.err
	}
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, errHelpShown):
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errReported):
		return ExitFailure
	case errors.Is(err, context.Canceled) && a.ctx.Err() != nil:
		fmt.Fprintf(a.stderr, "uketsuke %s: interrupted\n", cmd)
		return ExitFailure
	}
	fmt.Fprintf(a.stderr, "uketsuke %s: %s\n", cmd, strings.TrimPrefix(err.Error(), "lineworks: "))
	return ExitFailure
}

// cmd is one command or subcommand's flag set and help text.
type cmd struct {
	fs       *flag.FlagSet
	name     string // "bot get"
	synopsis string // arguments after the name, e.g. "[flags] BOT_ID"
	doc      string // paragraphs after the usage line
}

func newCmd(name, synopsis, doc string) *cmd {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &cmd{fs: fs, name: name, synopsis: synopsis, doc: doc}
}

func (c *cmd) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: uketsuke %s %s\n", c.name, c.synopsis)
	if c.doc != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.doc))
	}
	var lines []string
	c.fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if kind != "" {
			head += " " + kind
		}
		line := head + "\n      " + usage
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			line += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, line)
	})
	if len(lines) > 0 {
		sort.Strings(lines)
		fmt.Fprintf(w, "\nFlags:\n%s\n", strings.Join(lines, "\n"))
	}
}

// parse parses args, allowing flags after positional arguments
// ("channel get ID --json"). It answers -h itself (usage on stdout) and
// reports a bad flag on stderr as a usage error.
func (a *app) parse(c *cmd, args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage(a.stdout)
				return nil, errHelpShown
			}
			return nil, a.usageErr(c, "%s", err)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// After a literal "--" everything is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageErr prints msg and the synopsis on stderr and returns a usage error.
func (a *app) usageErr(c *cmd, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(a.stderr, "uketsuke %s: %s\nUsage: uketsuke %s %s\nRun 'uketsuke %s -h' for help.\n", c.name, msg, c.name, c.synopsis, c.name)
	return &usageError{msg: msg}
}

// subcommand dispatches "bot get …" style commands.
func (a *app) subcommand(group string, doc string, args []string, subs []subcmd) error {
	c := newCmd(group, "<subcommand> [flags]", doc)
	help := func(w io.Writer) {
		c.usage(w)
		fmt.Fprintf(w, "\nSubcommands:\n")
		for _, s := range subs {
			fmt.Fprintf(w, "  %-9s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'uketsuke %s <subcommand> -h' for its flags.\n", group)
	}
	if len(args) == 0 {
		fmt.Fprintf(a.stderr, "uketsuke %s: a subcommand is required\n", group)
		help(a.stderr)
		return &usageError{msg: "missing subcommand"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		help(a.stdout)
		return errHelpShown
	}
	for _, s := range subs {
		if s.name == args[0] {
			if err := s.run(args[1:]); err != nil {
				return &namedError{name: group + " " + s.name, err: err}
			}
			return nil
		}
	}
	fmt.Fprintf(a.stderr, "uketsuke %s: unknown subcommand %q\n", group, args[0])
	help(a.stderr)
	return &usageError{msg: "unknown subcommand"}
}

type subcmd struct {
	name, summary string
	run           func(args []string) error
}

// printJSON writes v indented, without HTML escaping (Japanese and <m>
// mentions stay readable).
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "uketsuke: warning: "+format+"\n", args...)
}

// progress shows a spinner with msg on stderr while something slow runs
// (after a quarter of a second), only when stderr is a terminal; the
// returned func clears it. Piped or
// captured stderr stays free of control characters.
func (a *app) progress(msg string) (done func()) {
	f, ok := a.stderr.(*os.File)
	if !ok || !isTerminal(f) {
		return func() {}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Quick calls finish before the spinner would be noticed: stay quiet.
		select {
		case <-stop:
			return
		case <-time.After(250 * time.Millisecond):
		}
		frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(f, "\r%c %s… ", frames[i%len(frames)], msg)
			select {
			case <-stop:
				fmt.Fprintf(f, "\r\033[K")
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop); wg.Wait() }) }
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// httpClient returns the client for requests that are not LINE WORKS API
// calls (server API, callbacks), with a timeout.
func (a *app) httpClient(timeout time.Duration) *http.Client {
	c := &http.Client{Timeout: timeout}
	if a.hc != nil {
		c.Transport = a.hc.Transport
	}
	return c
}

// readInput reads a file, or stdin for "-" or "".
func (a *app) readInput(name string) ([]byte, error) {
	if name == "" || name == "-" {
		if a.stdin == nil {
			return nil, nil
		}
		return io.ReadAll(a.stdin)
	}
	return os.ReadFile(name)
}
