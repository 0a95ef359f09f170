package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the floor's driver: the one sqlitestore uses

	"github.com/uketsuke/uketsuke/notify"
)

// The latency benchmarks compare a check-in, from CheckIn's call until the
// fake LINE WORKS has the notification, with a floor: the least any design
// that stores the visit durably before notifying could do — one SQLite
// insert transaction (same driver and pragmas as sqlitestore's writes: WAL,
// synchronous=FULL, wal_autocheckpoint 4000)
// followed by one loopback POST of the same message to the same fake.
// scripts/bench.sh reports their p50 and p99 ratios.

// percentiles reports p50 and p99 of lat in milliseconds.
func percentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 {
		i := min(int(q*float64(len(lat))), len(lat)-1)
		return float64(lat[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// floor is one durable insert plus one POST to the fake.
type floor struct {
	db    *sql.DB
	url   string
	token string
	hc    *http.Client
	body  []byte
	seq   atomic.Int64
}

func newFloor(b *testing.B, s *stack) *floor {
	b.Helper()
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(4000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE visits (id TEXT PRIMARY KEY, body BLOB NOT NULL, created_at INTEGER NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	ts, err := s.sa.TokenSource(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		b.Fatal(err)
	}
	secret("access token", tok.AccessToken)
	// The same content a check-in sends: take it from one real check-in.
	if _, err := s.svc.CheckIn(context.Background(), stackOrg, notify.CheckInRequest{ButtonID: stackBtn, Visitor: notify.Visitor{Name: "山田 太郎", Company: "ベンチ商事"}}); err != nil {
		b.Fatal(err)
	}
	msgs, err := s.fake.WaitMessages(context.Background(), 1)
	if err != nil {
		b.Fatal(err)
	}
	body := fmt.Appendf(nil, `{"content":%s}`, msgs[0].Content)
	return &floor{db: db, url: s.fake.APIURL + fmt.Sprintf("bots/%d/channels/%s/messages", stackBotID, stackRoom), token: tok.AccessToken,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}, body: body}
}

func (f *floor) do(ctx context.Context) error {
	id := f.seq.Add(1)
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO visits (id, body, created_at) VALUES (?, ?, ?)`, fmt.Sprint(id), f.body, time.Now().UnixNano()); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(f.body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func benchStack(b *testing.B) *stack {
	s := newStack(b, stackConfig{options: []notify.Option{notify.WithLease(30 * time.Second), notify.WithPollInterval(50 * time.Millisecond), notify.WithMaxAttempts(10)}, direct: true})
	s.run()
	return s
}

// BenchmarkDelivered: one check-in at a time, timed until the fake has its
// notification (sqlitestore, notify.Service, lineworks client, loopback).
func BenchmarkDelivered(b *testing.B) {
	s := benchStack(b)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := s.svc.CheckIn(ctx, stackOrg, notify.CheckInRequest{ButtonID: stackBtn, Visitor: notify.Visitor{Name: "山田 太郎", Company: "ベンチ商事"}}); err != nil {
			b.Fatal(err)
		}
		if err := s.fake.WaitMessageCount(ctx, len(lat)+1); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	percentiles(b, lat)
}

// BenchmarkDeliveredFloor: the floor of BenchmarkDelivered.
func BenchmarkDeliveredFloor(b *testing.B) {
	s := benchStack(b)
	f := newFloor(b, s)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := f.do(ctx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	percentiles(b, lat)
}

// BenchmarkThroughput: check-ins from 8 kiosks at once until every one is
// delivered, against the floor's insert+POST from 8 workers. Reports
// check-ins (or floor operations) per second.
func BenchmarkThroughput(b *testing.B) {
	const workers = 8
	run := func(b *testing.B, op func(ctx context.Context) error, done func(n int) error) {
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= int64(b.N) {
					if err := op(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if err := done(b.N); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	}
	b.Run("uketsuke", func(b *testing.B) {
		s := benchStack(b)
		run(b, func(ctx context.Context) error {
			_, err := s.svc.CheckIn(ctx, stackOrg, notify.CheckInRequest{ButtonID: stackBtn, Visitor: notify.Visitor{Name: "山田 太郎", Company: "ベンチ商事"}})
			return err
		}, func(n int) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			return s.fake.WaitMessageCount(ctx, n)
		})
	})
	b.Run("floor", func(b *testing.B) {
		s := benchStack(b)
		f := newFloor(b, s)
		base := len(s.fake.Messages())
		run(b, f.do, func(n int) error {
			if got := len(s.fake.Messages()) - base; got != n {
				return fmt.Errorf("fake has %d messages, want %d", got, n)
			}
			return nil
		})
	})
}
