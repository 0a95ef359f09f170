package notify_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
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
	second, err := notify.New(openPG(t, schema), &notify.LineWorksConnector{APIURL: h.fake.APIURL, TokenURL: h.fake.TokenURL},
		notify.WithDelivery(5*time.Second, 10*time.Millisecond, 16, 4, 5), notify.WithOwner("second-dispatcher"))
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
			v, err := h.svc.CheckIn(context.Background(), h.org.ID, notify.CheckInRequest{ButtonID: "sales", Visitor: notify.Visitor{Name: "visitor " + string(rune('A'+i%26))}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- v.ID
		})
	}
	h.run()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = second.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wg.Wait()
	close(ids)
	msgs := h.waitMessages(n)
	time.Sleep(200 * time.Millisecond) // let any duplicate arrive before counting
	msgs = h.fake.Messages()
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
}
