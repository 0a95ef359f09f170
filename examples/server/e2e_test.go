package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// These tests run the server as its users do: built as a binary and started
// as a process (e2e), or through run in-process (demo).

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// serverBinary builds ./examples/server once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	return servertest.Build(t, ".")
}

// startServer starts the binary with env (and nothing of the test's own
// UKETSUKE_* environment) on an ephemeral loopback port.
func startServer(t *testing.T, bin string, env map[string]string) *servertest.Process {
	t.Helper()
	p, err := servertest.Start(t, bin, env)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// call sends a JSON request with the admin token and decodes the answer.
func call(t *testing.T, method, u string, body, out any, want int) {
	t.Helper()
	servertest.CallJSON(t, method, u, testAdminToken, body, out, want)
}

// get requests u, sending cookies if any, and returns the status and body.
var get = servertest.Get

type sentContent struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	ContentText string `json:"contentText"`
	Actions     []struct {
		Type     string `json:"type"`
		Label    string `json:"label"`
		Text     string `json:"text"`
		Postback string `json:"postback"`
	} `json:"actions"`
}

func contentOf(t *testing.T, m lineworkstest.Message) sentContent {
	t.Helper()
	var c sentContent
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatal(err)
	}
	if c.Text == "" {
		c.Text = c.ContentText
	}
	return c
}

func waitMessages(t *testing.T, fake *lineworkstest.Server, n int, p *servertest.Process) []lineworkstest.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := fake.WaitMessages(ctx, n)
	if err != nil {
		t.Fatalf("waiting for message %d (have %d): %v\nserver log:\n%s", n, len(fake.Messages()), err, p.Stderr())
	}
	return msgs
}

const (
	e2eBotID     int64 = 2000001
	e2eBotSecret       = "bot-secret-for-e2e"
	e2eRoom            = "room-sales"
)

// e2eEnv is the environment of a server using fake and the database in dir.
func e2eEnv(fake *lineworkstest.Server, dir string) map[string]string {
	return map[string]string{
		"UKETSUKE_DEMO":               "0",
		"UKETSUKE_DB":                 filepath.Join(dir, "uketsuke.db"),
		"UKETSUKE_ADMIN_TOKEN":        testAdminToken,
		"UKETSUKE_PUBLIC_URL":         "https://uketsuke.example.test",
		"UKETSUKE_LINEWORKS_API_URL":  fake.APIURL,
		"UKETSUKE_LINEWORKS_AUTH_URL": fake.URL + "/oauth2/v2.0/",
		"UKETSUKE_LEASE":              "3s",
	}
}

// setupOrg configures organization acme through the API.
func setupOrg(t *testing.T, base string, fake *lineworkstest.Server) {
	t.Helper()
	sa := fake.NewServiceAccount("bot", "user.read")
	api := base + httpserver.APIPrefix
	call(t, "PUT", api+"/orgs/acme", map[string]string{"name": "ACME 株式会社", "locale": "ja"}, nil, http.StatusCreated)
	var integ struct {
		Warnings    []app.Warning              `json:"warnings"`
		Integration httpserver.IntegrationJSON `json:"integration"`
	}
	call(t, "PUT", api+"/orgs/acme/lineworks", map[string]any{
		"clientId": sa.ClientID, "clientSecret": sa.ClientSecret, "serviceAccount": sa.ServiceAccountID,
		"privateKey": string(sa.PrivateKey), "botId": e2eBotID, "botSecret": e2eBotSecret,
		"adminUserId": "user-a", "scopes": []string{"bot", "user.read"},
	}, &integ, http.StatusOK)
	if !integ.Integration.Configured || len(integ.Warnings) != 0 {
		t.Fatalf("integration = %+v", integ)
	}
	var v app.Verification
	call(t, "POST", api+"/orgs/acme/lineworks/verify", nil, &v, http.StatusOK)
	if !v.OK {
		t.Fatalf("verify = %+v", v)
	}
	call(t, "PUT", api+"/orgs/acme/buttons/sales", map[string]any{"label": "営業部", "rooms": []string{e2eRoom},
		"reminder": map[string]any{"after": "5m", "mentionAll": true, "max": 2}}, nil, http.StatusCreated)
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t)
	fake := lineworkstest.NewServer()
	defer fake.Close()
	fake.AddUser(lineworkstest.User{UserID: "user-a", LastName: "山田", FirstName: "太郎"})
	fake.AddUser(lineworkstest.User{UserID: "user-b", LastName: "佐藤", FirstName: "花子"})
	p := startServer(t, bin, e2eEnv(fake, t.TempDir()))
	api := p.URL + httpserver.APIPrefix
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	setupOrg(t, p.URL, fake)
	var checkin struct{ VisitID string }
	call(t, "POST", api+"/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": "鈴木 一郎", "company": "テスト商事", "count": 2}}, &checkin, http.StatusCreated)

	// The room gets a button template whose two buttons are message actions
	// carrying postbacks.
	msgs := waitMessages(t, fake, 1, p)
	note := contentOf(t, msgs[0])
	if msgs[0].ChannelID != e2eRoom || msgs[0].BotID != e2eBotID || note.Type != "button_template" || len(note.Actions) != 2 {
		t.Fatalf("notification = %+v %s", msgs[0], msgs[0].Content)
	}
	for i, want := range []string{"対応します", "他の人に対応を依頼"} {
		a := note.Actions[i]
		if a.Type != "message" || a.Label != want || !strings.Contains(a.Postback, checkin.VisitID) {
			t.Errorf("action %d = %+v, want a message action %q with a postback for the visit", i, a, want)
		}
	}
	if !strings.Contains(note.Text, "テスト商事 鈴木 一郎 様") {
		t.Errorf("notification text %q", note.Text)
	}

	sender := lineworkstest.CallbackSender{BotID: e2eBotID, Secret: e2eBotSecret, URL: p.URL + app.CallbackPath}
	send := func(body []byte) {
		t.Helper()
		status, err := sender.Send(ctx, body)
		if err != nil || status != http.StatusOK {
			t.Fatalf("callback = %d, %v\n%s", status, err, p.Stderr())
		}
	}

	// 「対応します」 by 山田: the room learns who handles the visitor, by name
	// (user.read is granted).
	send(lineworkstest.MessageTapEvent("user-a", e2eRoom, note.Actions[0].Text, note.Actions[0].Postback))
	msgs = waitMessages(t, fake, 2, p)
	if got := contentOf(t, msgs[1]).Text; msgs[1].ChannelID != e2eRoom || !strings.Contains(got, "鈴木 一郎 様") || !strings.Contains(got, "山田 太郎") {
		t.Errorf("handler message = %q", got)
	}

	// A forged callback is refused.
	forged := lineworkstest.CallbackSender{BotID: e2eBotID, Secret: "wrong", URL: sender.URL}
	if status, err := forged.Send(ctx, lineworkstest.MessageTapEvent("user-b", e2eRoom, "x", note.Actions[0].Postback)); err != nil || status == http.StatusOK {
		t.Errorf("forged callback = %d, %v; want a refusal", status, err)
	}

	// 「他の人に対応を依頼」 → @All in the room.
	send(lineworkstest.MessageTapEvent("user-a", e2eRoom, note.Actions[1].Text, note.Actions[1].Postback))
	msgs = waitMessages(t, fake, 3, p)
	if got := contentOf(t, msgs[2]).Text; msgs[2].ChannelID != e2eRoom || !strings.Contains(got, `<m userId="all">`) {
		t.Errorf("escalation = %q", got)
	}

	// The bot joins another room: it posts the room ID there, and the
	// admin sees the room.
	send(lineworkstest.JoinEvent("room-new"))
	msgs = waitMessages(t, fake, 4, p)
	if got := contentOf(t, msgs[3]).Text; msgs[3].ChannelID != "room-new" || !strings.Contains(got, "room-new") {
		t.Errorf("room ID message = %q to %q", got, msgs[3].ChannelID)
	}
	var rooms []httpserver.RoomJSON
	call(t, "GET", api+"/orgs/acme/rooms", nil, &rooms, http.StatusOK)
	if len(rooms) != 1 || rooms[0].ChannelID != "room-new" || rooms[0].LeftAt != nil {
		t.Errorf("rooms = %+v", rooms)
	}

	var visits []httpserver.VisitJSON
	call(t, "GET", api+"/orgs/acme/visits", nil, &visits, http.StatusOK)
	if len(visits) != 1 || visits[0].Status != "escalated" {
		t.Errorf("visits = %+v", visits)
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ok", "/metrics": `uketsuke_notify_events_total{event="checkins"`} {
		if status, body := get(t, p.URL+path); status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want %q in:\n%s", path, status, want, body)
		}
	}

	p.Stop()
	logs := p.Stderr()
	for _, secret := range []string{e2eBotSecret, testAdminToken, "BEGIN PRIVATE KEY"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the server log contains a secret (%.12s…)", secret)
		}
	}
	if !strings.Contains(logs, "stopped") {
		t.Errorf("no graceful stop in the log:\n%s", logs)
	}
}

// TestRestartDelivers kills the server while LINE WORKS refuses messages
// and checks that a restarted server on the same database delivers every
// check-in: accepted is never lost.
func TestRestartDelivers(t *testing.T) {
	t.Parallel()
	bin := serverBinary(t)
	fake := lineworkstest.NewServer()
	defer fake.Close()
	env := e2eEnv(fake, t.TempDir())
	p := startServer(t, bin, env)
	setupOrg(t, p.URL, fake)

	fake.InjectFault(lineworkstest.AnyRoute, 1_000_000, lineworkstest.Fault{Status: http.StatusServiceUnavailable, Code: "SERVICE_UNAVAILABLE", Description: "maintenance"})
	const n = 5
	var visits []string
	for i := range n {
		var c struct{ VisitID string }
		call(t, "POST", p.URL+httpserver.APIPrefix+"/orgs/acme/checkins", map[string]any{"buttonId": "sales", "visitor": map[string]any{"name": fmt.Sprintf("来客 %d", i)}}, &c, http.StatusCreated)
		visits = append(visits, c.VisitID)
	}
	p.Kill()
	if got := len(fake.Messages()); got != 0 {
		t.Fatalf("%d messages got through the injected outage", got)
	}

	fake.ClearFaults()
	p = startServer(t, bin, env)
	defer p.Stop()
	msgs := waitMessages(t, fake, n, p)
	perVisit := map[string]int{}
	for _, m := range msgs {
		for _, a := range contentOf(t, m).Actions {
			if strings.HasPrefix(a.Postback, "uk1:accept:") {
				perVisit[strings.TrimPrefix(a.Postback, "uk1:accept:")]++
			}
		}
	}
	for _, v := range visits {
		if perVisit[v] != 1 {
			t.Errorf("visit %s announced %d times, want 1", v, perVisit[v])
		}
	}
}

// TestDemo runs the server in-process in demo mode and plays a visitor and a
// staff member through the /demo endpoints.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	stderr := &servertest.Buffer{}
	env := map[string]string{"UKETSUKE_DEMO": "1", "UKETSUKE_ADMIN_TOKEN": testAdminToken}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", "memory"}, envOf(env), outW, stderr)
		outW.Close()
		done <- err
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "uketsuke: listening on "); ok {
				urls <- u
			}
		}
	}()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatalf("run returned %v before listening\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("no listening line\n%s", stderr)
	}

	if status, page := get(t, base+"/demo"); status != http.StatusOK || !strings.Contains(page, "営業部") || !strings.Contains(page, "配達・宅配便") || !strings.Contains(page, "佐藤 花子") {
		t.Fatalf("GET /demo = %d:\n%s", status, page)
	}

	post := func(path string, form url.Values, out any) {
		t.Helper()
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		defer rcancel()
		req, _ := http.NewRequestWithContext(rctx, "POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("POST %s = %d: %s\n%s", path, resp.StatusCode, data, stderr)
		}
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	// waitFeed long-polls the feed until a message passes match.
	next := 0
	waitFeed := func(match func(httpserver.FeedMessage) bool) httpserver.FeedMessage {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var f httpserver.FeedJSON
			status, body := get(t, fmt.Sprintf("%s/demo/messages?after=%d&wait=5", base, next))
			if status != http.StatusOK {
				t.Fatalf("feed = %d %s", status, body)
			}
			if err := json.Unmarshal([]byte(body), &f); err != nil {
				t.Fatal(err)
			}
			next = f.Next
			for _, m := range f.Messages {
				if match(m) {
					return m
				}
			}
		}
		t.Fatalf("no matching message in the feed\n%s", stderr)
		return httpserver.FeedMessage{}
	}

	var c struct{ VisitID string }
	post("/demo/checkin", url.Values{"buttonId": {"sales"}, "name": {"高橋 美咲"}, "company": {"デモ商事"}, "count": {"1"}}, &c)
	note := waitFeed(func(m httpserver.FeedMessage) bool {
		return len(m.Actions) == 2 && strings.HasSuffix(m.Actions[0].Postback, c.VisitID)
	})
	if note.Type != "button_template" || note.Actions[0].Label != "対応します" || note.Actions[1].Label != "他の人に対応を依頼" || !strings.Contains(note.Text, "高橋 美咲") {
		t.Fatalf("notification in the feed = %+v", note)
	}

	post("/demo/tap", url.Values{"user": {"demo-user-sato"}, "channel": {note.ChannelID}, "label": {note.Actions[0].Text}, "postback": {note.Actions[0].Postback}}, nil)
	handled := waitFeed(func(m httpserver.FeedMessage) bool { return strings.Contains(m.Text, "担当") })
	if !strings.Contains(handled.Text, "佐藤 花子") || !strings.Contains(handled.Text, "高橋 美咲") {
		t.Errorf("handler message = %q, want the visitor and the handler's name", handled.Text)
	}

	// The admin API sees the demo organization and its handled visit.
	var visits []httpserver.VisitJSON
	call(t, "GET", base+httpserver.APIPrefix+"/orgs/demo/visits", nil, &visits, http.StatusOK)
	if len(visits) != 1 || visits[0].Status != "accepted" || visits[0].Handler != "佐藤 花子" {
		t.Errorf("visits = %+v", visits)
	}
	// The public API checks the demo organization's credentials at the
	// built-in fake, which knows its key; the real LINE WORKS would refuse
	// them (and is not reachable from tests).
	var v app.Verification
	call(t, "POST", base+httpserver.APIPrefix+"/orgs/demo/lineworks/verify", nil, &v, http.StatusOK)
	if !v.OK || !slices.Contains(v.Scopes, "bot") {
		t.Errorf("verify of the demo organization = %+v, want ok with the bot scope", v)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

// A demo organization left in the database by an earlier demo delivers
// nothing once demo mode is off: the start-up says so, naming the fix.
func TestLeftoverDemoIsReported(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "uketsuke.db")
	start := func(demo string) string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		outR, outW := io.Pipe()
		stderr := &servertest.Buffer{}
		env := map[string]string{"UKETSUKE_DEMO": demo, "UKETSUKE_ADMIN_TOKEN": testAdminToken}
		done := make(chan error, 1)
		go func() {
			err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", db}, envOf(env), outW, stderr)
			outW.Close()
			done <- err
		}()
		sc := bufio.NewScanner(outR)
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "uketsuke: listening on ") {
		}
		go func() {
			for sc.Scan() {
			}
		}()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run (UKETSUKE_DEMO=%s) = %v\n%s", demo, err, stderr)
		}
		return stderr.String()
	}
	if logs := start("1"); strings.Contains(logs, "demo organization is left") {
		t.Errorf("demo mode warned about its own organization:\n%s", logs)
	}
	if logs := start("0"); !strings.Contains(logs, "demo organization is left") || !strings.Contains(logs, "DELETE /api/v1/orgs/demo") {
		t.Errorf("no warning about the leftover demo organization:\n%s", logs)
	}
}
