package reliability

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestFlood sends signed callbacks from 32 concurrent clients to the
// callback endpoint of a running service: 10 % forged (signed with another
// secret), some oversized (more than 1 MiB), the rest genuine join events,
// one per distinct room. Every forged one must be refused with 401, every
// oversized one with 413, and every genuine one processed exactly once: one
// room recorded and one room-ID message per room, nothing for a forged room.
func TestFlood(t *testing.T) {
	checkSecretsAtEnd(t)
	n := size(300, 1000, 10000)
	const clients = 32
	oversizedEvery := 97 // about 1 %
	s := newStack(t, stackConfig{})
	logs := &servertest.Buffer{}
	output(t.Name()+": callback log", logs.String)
	h := s.svc.CallbackHandler(lineworks.WithCallbackLogger(newTextLogger(logs)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	stop := s.run()

	forgedSecret := "forged-" + randomHex(16)
	genuine := lineworkstest.CallbackSender{BotID: stackBotID, Secret: s.botSecret, URL: srv.URL + lineworkstest.CallbackPath}
	forged := lineworkstest.CallbackSender{BotID: stackBotID, Secret: forgedSecret, URL: genuine.URL}
	// A valid event padded past the limit: refused on size, whoever signed it.
	big := bytes.Repeat([]byte(" "), lineworks.DefaultMaxCallbackBodySize)

	type kind int
	const (
		kGenuine kind = iota
		kForged
		kOversized
	)
	kindOf := func(i int) kind {
		switch {
		case i%oversizedEvery == oversizedEvery-1:
			return kOversized
		case i%10 == 3:
			return kForged
		}
		return kGenuine
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	genuine.Client, forged.Client = client, client

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapInuse

	var (
		next         atomic.Int64
		wg           sync.WaitGroup
		mu           sync.Mutex
		counts       = map[kind]int{}
		wrong        []string
		peakMu       sync.Mutex
		peak         uint64
		oversz       atomic.Int64
		genuineRooms = make(map[string]bool)
	)
	ctx := context.Background()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				k := kindOf(i)
				var status int
				var err error
				switch k {
				case kGenuine:
					status, err = genuine.Send(ctx, lineworkstest.JoinEvent(fmt.Sprintf("room-%06d", i)))
				case kForged:
					status, err = forged.Send(ctx, lineworkstest.JoinEvent(fmt.Sprintf("forged-%06d", i)))
				case kOversized:
					body := append(bytes.TrimSuffix(lineworkstest.JoinEvent(fmt.Sprintf("big-%06d", i)), []byte("}")), big...)
					body = append(body, '}')
					oversz.Add(int64(len(body)))
					status, err = genuine.Send(ctx, body)
				}
				want := map[kind]int{kGenuine: 200, kForged: 401, kOversized: 413}[k]
				mu.Lock()
				counts[k]++
				if k == kGenuine {
					genuineRooms[fmt.Sprintf("room-%06d", i)] = true
				}
				if err != nil || status != want {
					wrong = append(wrong, fmt.Sprintf("#%d (kind %d): status %d, err %v; want %d", i, k, status, err, want))
				}
				mu.Unlock()
				if i%500 == 0 {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peakMu.Lock()
					peak = max(peak, m.HeapInuse)
					peakMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	for i, w := range wrong {
		if i == 10 {
			t.Errorf("… and %d more", len(wrong)-10)
			break
		}
		t.Error(w)
	}

	// Every genuine join: a room, and a room-ID message in that room.
	want := counts[kGenuine]
	if !waitFor(ctx, 60*time.Second+time.Duration(want)*10*time.Millisecond, func() bool { return len(s.fake.Messages()) >= want }) {
		t.Fatalf("room-ID messages: %d, want %d", len(s.fake.Messages()), want)
	}
	processed := time.Since(start)
	// Stopped, the service has finished its sends (Run returns after them);
	// with nothing left pending in the store, no extra message can come.
	stop()
	checkNothingPending(t, s.store, stackOrg)
	msgs := s.fake.Messages()
	perRoom := map[string]int{}
	for _, m := range msgs {
		perRoom[m.ChannelID]++
		if !strings.Contains(textOf(m), m.ChannelID) {
			t.Errorf("message to %s is not its room ID: %q", m.ChannelID, textOf(m))
		}
	}
	for room := range genuineRooms {
		if perRoom[room] != 1 {
			t.Errorf("room %s got %d room-ID messages, want 1", room, perRoom[room])
		}
	}
	for room, c := range perRoom {
		if !genuineRooms[room] {
			t.Errorf("room %s (not a genuine join) got %d messages", room, c)
		}
	}
	rooms, err := s.store.ListRooms(ctx, stackOrg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rooms) != want {
		t.Errorf("rooms recorded = %d, want %d", len(rooms), want)
	}
	for _, r := range rooms {
		if !genuineRooms[r.ChannelID] {
			t.Errorf("room %s recorded from a refused callback", r.ChannelID)
		}
	}

	runtime.GC()
	runtime.ReadMemStats(&ms)
	heapAfter := ms.HeapInuse
	const bound = 256 << 20
	if growth := int64(heapAfter) - int64(heapBefore); growth > bound {
		t.Errorf("heap in use grew by %d MiB, more than %d MiB", growth>>20, bound>>20)
	}
	if peak > 512<<20 {
		t.Errorf("heap in use peaked at %d MiB", peak>>20)
	}
	t.Logf("flood: %d callbacks from %d clients in %v (%.0f/s): %d genuine → %d rooms, %d messages; %d forged → 401; %d oversized (%d MiB) → 413; all processed after %v; heap in use %d → %d MiB (peak sampled %d MiB)",
		n, clients, sent.Round(time.Millisecond), float64(n)/sent.Seconds(), counts[kGenuine], len(rooms), len(msgs), counts[kForged], counts[kOversized], oversz.Load()>>20,
		processed.Round(time.Millisecond), heapBefore>>20, heapAfter>>20, peak>>20)
}
