package servertest

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary, started by the tests below, act as a
// server: "serve" listens on --addr like the real one, "fail" exits before
// listening.
const helperEnv = "SERVERTEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "serve":
		os.Exit(serve())
	case "fail":
		fmt.Fprintln(os.Stderr, "no database configured")
		os.Exit(3)
	}
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

func serve() int {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	greeting := fs.String("greeting", "hello", "")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	// On stdout, before the listening line: Start has read it by the time
	// it returns (stderr is copied concurrently, with no such ordering).
	fmt.Printf("secret=%q\n", os.Getenv("UKETSUKE_SECRET"))
	fmt.Printf("%shttp://%s\n", ListeningPrefix, ln.Addr())
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, *greeting)
		}))
	}()
	<-term
	fmt.Fprintln(os.Stderr, "stopped")
	return 0
}

// self is the test binary, to be started as a helper server.
func self(t *testing.T) string {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestStartStop(t *testing.T) {
	t.Setenv("UKETSUKE_SECRET", "the test's own")
	p, err := Start(t, self(t), map[string]string{helperEnv: "serve"}, "--greeting", "こんにちは")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q", p.URL)
	}
	if !strings.Contains(p.Stdout(), ListeningPrefix+p.URL) {
		t.Errorf("stdout = %q, want the listening line", p.Stdout())
	}
	if !strings.Contains(p.Stdout(), `secret=""`) {
		t.Errorf("the test's UKETSUKE_* variables reached the server: %q", p.Stdout())
	}
	resp, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "こんにちは" {
		t.Errorf("GET / = %q, want the --greeting argument", body)
	}
	p.Stop()
	if err := p.Wait(); err != nil {
		t.Errorf("Wait after Stop = %v", err)
	}
	if !strings.Contains(p.Stderr(), "stopped") {
		t.Errorf("stderr = %q, want the server's own clean exit", p.Stderr())
	}
	p.Stop() // a second Stop does nothing
}

func TestKill(t *testing.T) {
	p, err := Start(t, self(t), map[string]string{helperEnv: "serve"})
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Wait after Kill = %v, want killed", err)
	}
	p.Stop() // after Kill, Stop does nothing (and does not fail)
	if _, err := http.Get(p.URL); err == nil {
		t.Error("the killed server still answers")
	}
}

func TestExitBeforeListening(t *testing.T) {
	p := New(t, self(t), map[string]string{helperEnv: "fail"})
	start := time.Now()
	err := p.Start()
	if err == nil || !strings.Contains(err.Error(), "exited before listening") || !strings.Contains(err.Error(), "no database configured") {
		t.Fatalf("Start = %v, want an exit before listening with the server's stderr", err)
	}
	if time.Since(start) > StartTimeout/2 {
		t.Errorf("Start took %v to notice the exit", time.Since(start))
	}
	if p.Stderr() != "no database configured\n" {
		t.Errorf("Stderr = %q", p.Stderr())
	}
}

func TestBuffer(t *testing.T) {
	var b Buffer
	done := make(chan struct{})
	for i := range 4 {
		go func() {
			for range 100 {
				fmt.Fprintf(&b, "%d", i)
				_ = b.String()
			}
			done <- struct{}{}
		}()
	}
	for range 4 {
		<-done
	}
	if n := len(b.String()); n != 400 {
		t.Errorf("len = %d, want 400", n)
	}
}

func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	bin := Build(t, "./testdata/hello")
	if again := Build(t, "./testdata/hello"); again != bin {
		t.Errorf("second Build = %q, want the first's %q", again, bin)
	}
	p, err := Start(t, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Stdout(), "hello from testdata") {
		t.Errorf("stdout = %q", p.Stdout())
	}
}
