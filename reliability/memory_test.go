package reliability

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// rssResult is the resident memory of a server process, idle and after
// visits check-ins were made through its API and delivered.
type rssResult struct {
	idleKiB, afterKiB int64
	store             string
	visits            int
	took              time.Duration
}

func measureServerRSS(tb testing.TB, visits int) rssResult {
	tb.Helper()
	fake := lineworkstest.NewServer()
	tb.Cleanup(fake.Close)
	tp := newTap(tb, fake)
	p := startServer(tb, "memory", serverEnv(tp, filepath.Join(tb.TempDir(), "uketsuke.db")))
	res := rssResult{store: "SQLite", visits: visits}
	if strings.Contains(p.Stdout(), "memory only") {
		res.store = "memory (no SQLite in this build)"
	}
	setupServerOrg(tb, p.URL, fake)
	// Warm up: one visit delivered, so that the idle figure includes the
	// LINE WORKS client, its token and the store's connections.
	mustCall(tb, "POST", p.URL+apiPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "front"}, nil, http.StatusCreated)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := fake.WaitMessages(ctx, 1); err != nil {
		tb.Fatal(err)
	}
	// A settling pause before a measurement, not a wait for an event: the
	// idle figure is another process's RSS at rest, and nothing signals rest.
	time.Sleep(500 * time.Millisecond)
	var err error
	if res.idleKiB, err = rssKiB(p); err != nil {
		tb.Skipf("cannot read the server's resident memory: %v", err)
	}

	start := time.Now()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Int64
	)
	for range 16 {
		wg.Go(func() {
			for next.Add(1) <= int64(visits) {
				status, data, err := call(ctx, "POST", p.URL+apiPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "front", "visitor": map[string]any{"name": "山田 太郎", "company": "メモリ計測株式会社", "count": 2}})
				if err != nil || status != http.StatusCreated {
					if fail.Add(1) <= 5 {
						tb.Errorf("check-in: %d %v %s", status, err, data)
					}
				}
			}
		})
	}
	wg.Wait()
	if _, err := fake.WaitMessages(ctx, 1+visits); err != nil {
		tb.Fatalf("delivered %d of %d: %v", len(fake.Messages())-1, visits, err)
	}
	res.took = time.Since(start)
	if res.afterKiB, err = rssKiB(p); err != nil {
		tb.Fatal(err)
	}
	p.Stop()
	return res
}

func (r rssResult) String() string {
	return fmt.Sprintf("server RSS (%s store): idle %.1f MiB, after %d visits checked in through the API and delivered (%v) %.1f MiB (×%.2f)",
		r.store, float64(r.idleKiB)/1024, r.visits, r.took.Round(time.Millisecond), float64(r.afterKiB)/1024, float64(r.afterKiB)/float64(r.idleKiB))
}

// TestServerMemory reports the server's resident memory idle and after
// many visits; it asserts only a generous bound.
func TestServerMemory(t *testing.T) {
	checkSecretsAtEnd(t)
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	r := measureServerRSS(t, size(0, 500, 10000))
	t.Log(r)
	if r.afterKiB > 500<<10 {
		t.Errorf("resident memory %d MiB, more than 500 MiB", r.afterKiB>>10)
	}
}

// BenchmarkServerRSS reports the same figures for scripts/bench.sh (run it
// with -benchtime 1x): idle-MiB, after-MiB and their ratio.
func BenchmarkServerRSS(b *testing.B) {
	var r rssResult
	for b.Loop() {
		r = measureServerRSS(b, 10000)
	}
	b.ReportMetric(float64(r.idleKiB)/1024, "idle-MiB")
	b.ReportMetric(float64(r.afterKiB)/1024, "after-MiB")
	b.ReportMetric(float64(r.afterKiB)/float64(r.idleKiB), "after/idle")
	b.ReportMetric(float64(r.visits)/r.took.Seconds(), "visits/s")
}
