package reliability

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
	"github.com/uketsuke/uketsuke/reception"
)

func freshDatabase(t testing.TB) string {
	t.Helper()
	return servertest.FreshDatabase(t, "uketsuke_rel_")
}

var mentionRE = regexp.MustCompile(`<m userId="([^"]+)">`)

// TestClaims: 50 staff members tap 「対応します」 on one visit at the same
// moment, their callbacks split across two server processes sharing one
// PostgreSQL database. Exactly one becomes the handler; each of the other
// 49 is told, in the room, who has it.
func TestClaims(t *testing.T) {
	checkSecretsAtEnd(t)
	dsn := freshDatabase(t)
	if testing.Short() {
		t.Skip("builds and runs two server processes")
	}
	const tappers = 50
	fake := lineworkstest.NewServer()
	t.Cleanup(fake.Close)
	tp := newTap(t, fake)
	env := serverEnv(tp, dsn)
	a := startServer(t, "server A", env)
	botSecret := setupServerOrg(t, a.URL, fake)
	b := startServer(t, "server B", env)

	var c struct{ VisitID string }
	mustCall(t, "POST", a.URL+apiPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "front", "visitor": map[string]any{"name": "競合 太郎", "company": "同時商事"}}, &c, http.StatusCreated)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msgs, err := fake.WaitMessages(ctx, 1)
	if err != nil {
		t.Fatalf("no notification: %v\n%s", err, a.Stderr())
	}
	if messageKey(msgs[0].Content) != "visit:"+c.VisitID {
		t.Fatalf("first message is not the visit's notification: %s", msgs[0].Content)
	}
	postback := "uk1:accept:" + c.VisitID

	// 50 taps released at once, alternating between the two processes.
	users := make([]string, tappers)
	for i := range users {
		users[i] = fmt.Sprintf("staff-%02d", i)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: tappers}}
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, tappers)
	for i, u := range users {
		target := a
		if i%2 == 1 {
			target = b
		}
		sender := lineworkstest.CallbackSender{BotID: procBotID, Secret: botSecret, URL: target.URL + lineworkstest.CallbackPath, Client: client}
		body := lineworkstest.MessageTapEvent(u, procRoom, "対応します", postback)
		wg.Go(func() {
			<-release
			if status, err := sender.Send(ctx, body); err != nil || status != http.StatusOK {
				errs <- fmt.Errorf("tap by %s: status %d, %v", u, status, err)
			}
		})
	}
	start := time.Now()
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if err := fake.WaitMessageCount(ctx, 1+tappers); err != nil {
		t.Fatalf("replies: have %d messages, want %d: %v\nA:\n%s\nB:\n%s", len(fake.Messages()), 1+tappers, err, a.Stderr(), b.Stderr())
	}
	settled := time.Since(start)
	var visits []struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		HandlerUserID string `json:"handlerUserId"`
	}
	mustCall(t, "GET", b.URL+apiPrefix+"/orgs/acme/visits", nil, &visits, http.StatusOK)
	// Stopped, both processes have finished their sends; with nothing left
	// pending in the database, no extra reply can come.
	a.Stop()
	b.Stop()
	withStoreOf(t, dsn, func(st reception.Store) { checkNothingPending(t, st, "acme") })
	msgs = fake.Messages()
	if len(msgs) != 1+tappers {
		t.Errorf("messages = %d, want %d (one notification, one reply per tap)", len(msgs), 1+tappers)
	}

	var winners []string
	told := map[string]int{}
	for _, m := range msgs[1:] {
		text := textOf(m)
		var mentioned []string
		for _, sm := range mentionRE.FindAllStringSubmatch(text, -1) {
			mentioned = append(mentioned, sm[1])
		}
		switch {
		case m.ChannelID != procRoom:
			t.Errorf("reply went to %q, not the room: %q", m.ChannelID, text)
		case strings.Contains(text, "担当:"): // Accepted
			if len(mentioned) != 1 {
				t.Errorf("accepted message mentions %v: %q", mentioned, text)
				continue
			}
			winners = append(winners, mentioned[0])
		case strings.Contains(text, "対応中"): // AlreadyTaken: tapper, then handler
			if len(mentioned) != 2 {
				t.Errorf("already-taken reply mentions %v: %q", mentioned, text)
				continue
			}
			told[mentioned[0]]++
			told["handler:"+mentioned[1]]++
		default:
			t.Errorf("unexpected reply %q", text)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("handlers announced: %v, want exactly one", winners)
	}
	winner := winners[0]
	for _, u := range users {
		want := 1
		if u == winner {
			want = 0
		}
		if told[u] != want {
			t.Errorf("%s was told %d times that someone else has it, want %d", u, told[u], want)
		}
	}
	if told["handler:"+winner] != tappers-1 {
		t.Errorf("%d already-taken replies name the winner %s, want %d (%v)", told["handler:"+winner], winner, tappers-1, told)
	}
	if len(visits) != 1 || visits[0].Status != "accepted" || visits[0].HandlerUserID != winner {
		t.Errorf("visit as stored = %+v, want accepted by %s", visits, winner)
	}
	t.Logf("claims: %d simultaneous taps across 2 processes on one PostgreSQL database: 1 handler (%s), %d told who has it, all replies within %v",
		tappers, winner, told["handler:"+winner], settled.Round(time.Millisecond))
}
