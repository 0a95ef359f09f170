// Package servertest builds a server binary of this module and runs it as a
// process, as its users do, for tests that want the real thing: flags,
// environment, signals, a crash.
//
// A test builds the binary once per test binary with [Build], starts it with
// [Start] (or [New] and [Process.Start], to look at its output before it
// listens) and ends it with [Process.Stop] (SIGTERM, a clean exit) or
// [Process.Kill] (SIGKILL, a crash). A process still running when its test
// ends is killed. Packages using Build call [Cleanup] from TestMain.
//
// The package is internal to the module and for tests only.
package servertest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// ListeningPrefix starts the line the server prints on stdout once it
// listens; the line goes on with the server's URL.
const ListeningPrefix = "uketsuke: listening on "

// Timeouts for starting a server, for a clean exit after SIGTERM, for the
// exit after SIGKILL and for go build.
const (
	StartTimeout = 60 * time.Second
	StopTimeout  = 30 * time.Second
	KillTimeout  = 10 * time.Second
	BuildTimeout = 5 * time.Minute
)

// Buffer is a bytes.Buffer safe for concurrent use: for a process's or a
// logger's output that a test reads while it is written.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// GoTool returns the go command of the toolchain running the tests, or else
// the one on PATH.
func GoTool() string {
	// GOROOT of the toolchain that runs the tests: `go test` exports it to
	// the test process (runtime.GOROOT is deprecated for this).
	p := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if runtime.GOOS == "windows" {
		p += ".exe"
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

type build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

var builds struct {
	mu sync.Mutex
	m  map[string]*build // package → its build
}

// Build builds the main package pkg (an import path, or a directory such as
// "." relative to the test's working directory) with go build, once per
// test binary, into a temporary directory, and returns the binary's path.
// A failed build fails t, and every later call for pkg.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	if builds.m == nil {
		builds.m = map[string]*build{}
	}
	b := builds.m[pkg]
	if b == nil {
		b = &build{}
		builds.m[pkg] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "uketsuke-servertest-")
		if b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "server")
		if runtime.GOOS == "windows" {
			b.bin += ".exe"
		}
		ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, GoTool(), "build", "-o", b.bin, pkg)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out.String())
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// Cleanup removes every binary Build made. Call it from TestMain once the
// tests have run.
func Cleanup() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	for _, b := range builds.m {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	builds.m = nil
}

// Process is a server process.
type Process struct {
	// URL is the server's, from its listening line, once it has started.
	URL string

	t      testing.TB
	cmd    *exec.Cmd
	stdout Buffer
	stderr Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, set before exited is closed
	ended  atomic.Bool   // Kill or Stop saw the process exit
}

// New prepares bin to run with args after --addr 127.0.0.1:0 (an
// ephemeral loopback port), in a temporary directory of t, with env and
// none of the test's own UKETSUKE_* variables. It does not start it: see
// [Process.Start].
func New(t testing.TB, bin string, env map[string]string, args ...string) *Process {
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UKETSUKE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Dir = t.TempDir()
	p := &Process{t: t, cmd: cmd, exited: make(chan struct{})}
	cmd.Stderr = &p.stderr
	return p
}

// Start starts a process prepared by New and waits until it listens, at
// most StartTimeout. Its stdout and stderr are kept (see Stdout and
// Stderr); an error says why it did not start, with its stderr. Whether it
// started or not, the process is killed when t ends if it still runs.
func (p *Process) Start() error {
	pipe, err := p.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&p.stdout, line)
			if u, ok := strings.CutPrefix(line, ListeningPrefix); ok {
				select {
				case urls <- u:
				default:
				}
			}
		}
		// Keep whatever a line too long for the scanner left, so that
		// the process never blocks on a full pipe.
		_, _ = io.Copy(&p.stdout, pipe)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	p.t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.URL = <-urls:
		return nil
	case <-p.exited:
		return fmt.Errorf("server exited before listening: %v\n%s", p.err, p.Stderr())
	case <-time.After(StartTimeout):
		return fmt.Errorf("server did not start in %v\n%s", StartTimeout, p.Stderr())
	}
}

// Start starts bin as New prepares it and waits until it listens; see
// [Process.Start].
func Start(t testing.TB, bin string, env map[string]string, args ...string) (*Process, error) {
	t.Helper()
	p := New(t, bin, env, args...)
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Stdout returns what the process wrote to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr returns what the process wrote to stderr so far: its log.
func (p *Process) Stderr() string { return p.stderr.String() }

// Pid returns the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Wait waits for the process to exit and returns how it did, as
// exec.Cmd.Wait does.
func (p *Process) Wait() error {
	<-p.exited
	return p.err
}

// Kill ends the process with SIGKILL, as a crash or the OOM killer would,
// and waits until it is gone. It fails the test if the process does not
// exit within KillTimeout.
func (p *Process) Kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
		p.ended.Store(true)
	case <-time.After(KillTimeout):
		p.t.Fatal("server did not die")
	}
}

// Stop sends SIGTERM and waits for a clean exit: it fails the test if the
// process exits with an error or does not exit within StopTimeout. After
// Kill or Stop, it does nothing.
func (p *Process) Stop() {
	p.t.Helper()
	if p.ended.Load() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		p.ended.Store(true)
		if p.err != nil {
			p.t.Errorf("server exited with %v\n%s", p.err, p.Stderr())
		}
	case <-time.After(StopTimeout):
		p.t.Fatalf("server did not stop on SIGTERM\n%s", p.Stderr())
	}
}
