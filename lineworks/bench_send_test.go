package lineworks_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// The send benchmarks compare the client with the least a caller could do by
// hand: one POST of a pre-marshalled body, with the same bearer header, to
// the same loopback fake route. The difference is the client's overhead —
// validation, JSON encoding, the request core — as the fake's own cost is in
// both.

func benchFake(b *testing.B, opts ...lineworks.Option) (*lineworks.Client, *lineworkstest.Server, string) {
	b.Helper()
	fake := lineworkstest.NewServer()
	b.Cleanup(fake.Close)
	ts, err := fake.NewServiceAccount("bot").TokenSource(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		b.Fatal(err)
	}
	c, err := lineworks.NewClient(ts, append([]lineworks.Option{lineworks.WithBaseURL(fake.APIURL)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return c, fake, tok.AccessToken
}

func BenchmarkSendToChannel(b *testing.B) {
	c, _, _ := benchFake(b, lineworks.WithRateLimit(0))
	ctx := context.Background()
	msg := lineworks.Text{Text: "受付に来客です: 山田様"}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Bots.SendToChannel(ctx, 2000001, "room-1", msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawPOST(b *testing.B) {
	_, fake, token := benchFake(b)
	body := []byte(`{"content":{"type":"text","text":"受付に来客です: 山田様"}}`)
	url := fake.APIURL + "bots/2000001/channels/room-1/messages"
	hc := &http.Client{Timeout: 30 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkBurst200 sends 200 messages at once through a client paced at
// the same budget the fake enforces (6000 a minute). It reports the 429s the
// fake answered (must be 0: the pacer, not the server, absorbs the burst) and
// the time taken as a ratio of 200 requests at the budget's sustained rate
// (2 s). Each iteration starts cold — new client, reset server buckets — so
// the client's one-second burst allowance shows as a ratio near 0.5.
func BenchmarkBurst200(b *testing.B) {
	const (
		n         = 200
		perMinute = 6000
	)
	fake := lineworkstest.NewServer()
	b.Cleanup(fake.Close)
	ts, err := fake.NewServiceAccount("bot").TokenSource(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	budget := time.Duration(float64(n) / (perMinute / 60.0) * float64(time.Second))
	var total time.Duration
	iterations := 0
	for b.Loop() {
		b.StopTimer()
		fake.SetRateLimit(perMinute) // fresh buckets
		c, err := lineworks.NewClient(ts, lineworks.WithBaseURL(fake.APIURL), lineworks.WithRateLimit(perMinute), lineworks.WithRetryPolicy(lineworks.NoRetry))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				if err := c.Bots.SendToChannel(context.Background(), 2000001, "room-1", lineworks.Text{Text: "burst"}); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		total += time.Since(start)
		iterations++
		close(errs)
		for err := range errs {
			b.Error(err)
		}
	}
	b.ReportMetric(float64(fake.FaultStats().RateLimited), "429s")
	b.ReportMetric(total.Seconds()/float64(iterations)/budget.Seconds(), "ratio")
}
