package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
	"github.com/uketsuke/uketsuke/reception/pgstore"
	"github.com/uketsuke/uketsuke/reception/sqlitestore"
)

// The flow and delivery tests run on every store: SQLite always, and
// PostgreSQL when UKETSUKE_TEST_POSTGRES_URL is set.
func init() {
	storeFactories = append(storeFactories, storeFactory{"sqlitestore", func(t *testing.T) reception.Store {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "notify.db"), testBox(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}})
	if os.Getenv(pgEnv) != "" {
		storeFactories = append(storeFactories, storeFactory{"pgstore", func(t *testing.T) reception.Store {
			return openPG(t, freshSchema(t))
		}})
	}
}

const pgEnv = "UKETSUKE_TEST_POSTGRES_URL"

func freshSchema(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "notify_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, os.Getenv(pgEnv))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	return schema
}

func openPG(t *testing.T, schema string) reception.Store {
	t.Helper()
	st, err := pgstore.Open(context.Background(), os.Getenv(pgEnv), testBox(t), pgstore.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestTwoDispatchersOnePostgres: two services, each with its own pool on one
// PostgreSQL schema, deliver 500 check-ins; the fake receives exactly one
// message per visit.
func TestTwoDispatchersOnePostgres(t *testing.T) {
	if os.Getenv(pgEnv) == "" {
		t.Skip(pgEnv + " is not set; set it to run the two-dispatcher test on PostgreSQL")
	}
	schema := freshSchema(t)
	h := newHarness(t, openPG(t, schema))
	conn := &notify.LineWorksConnector{APIURL: h.fake.APIURL, TokenURL: h.fake.TokenURL}
	// The check-ins come from a kiosk process that does not dispatch: a
	// running service would lease its own check-ins to itself (the fast
	// path), and the two dispatchers would never compete for an entry.
	kiosk, err := notify.New(openPG(t, schema), conn)
	if err != nil {
		t.Fatal(err)
	}
	second := &sentCounter{}
	other, err := notify.New(openPG(t, schema), conn,
		notify.WithLease(5*time.Second), notify.WithPollInterval(10*time.Millisecond),
		notify.WithBatchSize(16), notify.WithConcurrency(4), notify.WithMaxAttempts(5), notify.WithOwner("second-dispatcher"), notify.WithMetrics(second))
	if err != nil {
		t.Fatal(err)
	}
	n := 500
	if testing.Short() {
		n = 100
	}
	var wg sync.WaitGroup
	ids := make(chan string, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := kiosk.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "visitor " + string(rune('A'+i%26))}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- v.ID
		})
	}
	wg.Wait()
	close(ids)
	// Both dispatchers start on the same backlog.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = other.Run(ctx) }()
	defer func() { cancel(); <-done }()
	h.run()
	h.waitMessages(n)
	// Both stop (finishing their sends), then whatever is still due goes
	// out: any duplicate has arrived before counting.
	cancel()
	<-done
	h.quiesce()
	msgs := h.fake.Messages()
	got := map[string]int{}
	for _, m := range msgs {
		got[visitOf(t, m)]++
	}
	for id := range ids {
		if got[id] != 1 {
			t.Errorf("visit %s delivered %d times", id, got[id])
		}
	}
	if len(msgs) != n {
		t.Errorf("messages = %d, want %d", len(msgs), n)
	}
	// Both took part; otherwise the test proved nothing about contention.
	if got := second.sent.Load(); got == 0 || got == int64(n) {
		t.Errorf("the second dispatcher sent %d of %d messages; want a share of them", got, n)
	} else {
		t.Logf("the second dispatcher sent %d of %d messages", got, n)
	}
}

// sentCounter counts the messages one service sent.
type sentCounter struct{ sent atomic.Int64 }

func (c *sentCounter) Inc(name, _ string) {
	if name == notify.MetricSent {
		c.sent.Add(1)
	}
}
