package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// TestBrowserRealSetup walks the README's "Running it for real" in
// Chromium against a fake LINE WORKS, as a new tenant's admin would: the app
// exists in the Developer Console (its Client ID, Client Secret, Service
// Account and key file are all the admin has), the server runs with a
// public https URL, and demo mode is off. It counts the admin's actions and
// records everything typed, then checks a visitor in on the kiosk and taps
// 「対応します」 in the room the bot was invited to.
//
// The server is reached through an https front (as behind a real TLS
// terminator): LINE WORKS requires an https callback URL, and the fake
// posts the join and tap callbacks there.
func TestBrowserRealSetup(t *testing.T) {
	ctx := newBrowser(t, chromedp.Flag("ignore-certificate-errors", true))
	var target atomic.Pointer[url.URL]
	front := httptest.NewTLSServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target.Load())
		r.SetXForwarded() // X-Forwarded-Proto: https, so cookies are Secure
		r.Out.Host = r.In.Host
	}})
	t.Cleanup(front.Close)
	fake := lineworkstest.NewServer(lineworkstest.WithCallbackClient(front.Client()))
	t.Cleanup(fake.Close)
	app := fake.NewServiceAccount("bot", "user.read")
	keyFile := filepath.Join(t.TempDir(), "private_20261202000000.key")
	if err := os.WriteFile(keyFile, app.PrivateKey, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startInProcess(t, map[string]string{
		"UKETSUKE_DEMO": "0", "UKETSUKE_ADMIN_TOKEN": testAdminToken, "UKETSUKE_PUBLIC_URL": front.URL,
		"UKETSUKE_LINEWORKS_API_URL": fake.APIURL, "UKETSUKE_LINEWORKS_AUTH_URL": fake.URL + "/oauth2/v2.0/",
	}, false)
	u, _ := url.Parse(srv.base)
	target.Store(u)
	base := front.URL

	w := &setupWalk{t: t, ctx: ctx}
	w.do("open the admin page with the admin token (before the set-up)", false,
		chromedp.Navigate(base+"/admin"),
		chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/admin/orgs"]`)),
	)
	const orgName, roomTitle, label = "テスト商事", "受付チーム", "営業部"
	w.do("1. create the organization (its name only)", true,
		w.typeInto(`form[action="/admin/orgs"] input[name="name"]`, orgName),
		chromedp.Click(chromedp.CSS(`form[action="/admin/orgs"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#clientId")),
	)
	orgPathNow, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	orgID := strings.TrimPrefix(orgPathNow, "/admin/")
	// The kiosk URL is shown on this page only: the server keeps a hash
	// of its token.
	kioskURL, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#kiosk-url")))
	if err != nil || !strings.Contains(kioskURL, "/kiosk/"+orgID+"?token=") {
		t.Fatalf("kiosk URL after creating the organization = %q, %v", kioskURL, err)
	}
	w.do("2. paste the app's credentials and upload the .key file, save and verify", true,
		w.typeInto("#clientId", app.ClientID),
		w.typeInto("#clientSecret", app.ClientSecret),
		w.typeInto("#serviceAccount", app.ServiceAccountID),
		chromedp.SetUploadFiles(chromedp.CSS("#privateKeyFile"), []string{keyFile}),
		chromedp.Click(chromedp.CSS(`button[value="verify"]`)),
		chromedp.WaitVisible(chromedp.CSS("#signin-link")),
	)
	if got := text(t, ctx, "#integration"); !strings.Contains(got, "接続できました") || strings.Contains(got, "確認してください") {
		t.Fatalf("after saving the credentials, the integration says:\n%s", got)
	}
	w.do("3. sign in with LINE WORKS", true,
		chromedp.Click(chromedp.CSS("#signin-link")),
		chromedp.WaitVisible(chromedp.CSS("#create-bot")),
	)
	if got := text(t, ctx, "#signin"); !strings.Contains(got, lineworkstest.AdminUserID) || !strings.Contains(got, strconv.FormatInt(lineworkstest.DefaultDomainID, 10)) {
		t.Errorf("after the sign-in, the page says:\n%s", got)
	}
	w.do("4. create the bot", true,
		chromedp.Click(chromedp.CSS("#create-bot")),
		chromedp.WaitVisible(chromedp.CSS("#bot-checks")),
	)
	if got := text(t, ctx, "#bot-checks"); strings.Contains(got, "✘") || !strings.Contains(got, "Bot Secret 保存済み") {
		t.Fatalf("bot checks:\n%s", got)
	}
	botID := w.number(`document.querySelector("#bot-checks code").textContent`)

	// 5. In LINE WORKS, the admin invites the bot into a room.
	w.actions++
	w.log = append(w.log, "5. invite the bot into a room in LINE WORKS")
	channelID, err := fake.InviteBot(context.Background(), botID, roomTitle)
	if err != nil {
		t.Fatalf("inviting the bot: %v\n%s", err, srv.stderr)
	}
	// The server stores the room, then posts its room-ID message there.
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := waitRoomMessage(rctx, fake, channelID); err != nil {
		t.Fatalf("no room-ID message in the invited room: %v\n%s", err, srv.stderr)
	}
	w.do("look at the rooms page", false, chromedp.Navigate(base+"/admin/"+orgID+"/rooms"))
	if got := text(t, ctx, "main"); !strings.Contains(got, roomTitle) {
		t.Fatalf("the invited room is not on the rooms page by its title:\n%s\n%s", got, srv.stderr)
	}

	w.do("6. add a button for the room, picked by its title", true,
		chromedp.Navigate(base+"/admin/"+orgID+"/buttons"),
		chromedp.WaitReady(chromedp.CSS(`#room option[value="`+channelID+`"]`)),
		w.typeInto("#label", label),
		evalTrue(`(() => { const o = [...document.querySelectorAll("#room option")].find(o => o.textContent.includes(`+strconv.Quote(roomTitle)+`)); if (!o) return false; document.getElementById("room").value = o.value; return true })()`),
		chromedp.Click(chromedp.CSS(`#button-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)

	t.Logf("admin actions (%d): %q; typed %q", w.actions, w.log, w.typed)
	if w.actions > 6 {
		t.Errorf("the set-up took %d admin actions, want at most 6: %v", w.actions, w.log)
	}
	allowed := []string{app.ClientID, app.ClientSecret, app.ServiceAccountID, orgName, label}
	ids := []string{orgID, channelID, lineworkstest.AdminUserID, strconv.FormatInt(botID, 10), strconv.FormatInt(lineworkstest.DefaultDomainID, 10)}
	for _, v := range w.typed {
		if !slices.Contains(allowed, v) || slices.Contains(ids, v) {
			t.Errorf("the admin typed %q, which is neither a credential of the app nor a name", v)
		}
	}

	// The visitor checks in on the kiosk the admin page links to; the
	// room the bot was invited to is told, and a tap there names the
	// handler.
	w.do("check a visitor in", false,
		chromedp.Navigate(kioskURL),
		chromedp.WaitVisible(chromedp.CSS(`button.big`)),
		chromedp.Click(chromedp.CSS("#kiosk-details > summary")),
		chromedp.SendKeys(chromedp.CSS("#visitor-name"), "高橋 美咲"),
		chromedp.Click(chromedp.CSS(`button.big`)),
		chromedp.WaitVisible(chromedp.CSS("#done-message")),
	)
	if got := text(t, ctx, "#done-message"); !strings.Contains(got, "担当者に通知しました") {
		t.Errorf("the kiosk says %q", got)
	}
	tapAndSeeHandler(t, fake, botID, channelID)
}

// tapAndSeeHandler waits for the check-in message in the room, taps its
// first action as the signed-in admin (a member of the room) and waits for
// the room to be told who handles the visitor.
func tapAndSeeHandler(t *testing.T, fake *lineworkstest.Server, botID int64, channelID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := fake.WaitMessages(ctx, 2) // the room ID notice, then the check-in
	if err != nil {
		t.Fatalf("waiting for the check-in message: %v", err)
	}
	var content struct {
		Type    string `json:"type"`
		Actions []struct {
			Label    string `json:"label"`
			Postback string `json:"postback"`
		} `json:"actions"`
	}
	i := slices.IndexFunc(msgs, func(m lineworkstest.Message) bool {
		return m.ChannelID == channelID && json.Unmarshal(m.Content, &content) == nil && content.Type == "button_template"
	})
	if i < 0 || len(content.Actions) == 0 {
		t.Fatalf("no check-in message in the invited room %s: %+v", channelID, msgs)
	}
	sender, err := fake.CallbackSenderFor(botID)
	if err != nil {
		t.Fatal(err)
	}
	tap := lineworkstest.MessageTapEvent(lineworkstest.AdminUserID, channelID, content.Actions[0].Label, content.Actions[0].Postback)
	if status, err := sender.Send(ctx, tap); err != nil || status != http.StatusOK {
		t.Fatalf("the tap callback = %d, %v", status, err)
	}
	for n := len(msgs) + 1; ; n++ {
		all, err := fake.WaitMessages(ctx, n)
		if err != nil {
			t.Fatalf("the room was not told who handles the visitor: %v", err)
		}
		last := all[len(all)-1]
		if last.ChannelID == channelID && strings.Contains(string(last.Content), "管理 太郎") {
			return
		}
	}
}

// setupWalk drives the admin's set-up, counting admin actions and
// recording what was typed.
type setupWalk struct {
	t       *testing.T
	ctx     context.Context
	actions int
	log     []string
	typed   []string
}

// do runs one step; admin steps count as one action each however many
// fields they fill.
func (w *setupWalk) do(what string, admin bool, steps ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if admin {
		w.actions++
		w.log = append(w.log, what)
	}
	do(w.t, w.ctx, what, steps...)
}

func (w *setupWalk) typeInto(sel, value string) chromedp.Action[chromedp.Void] {
	w.typed = append(w.typed, value)
	return chromedp.SendKeys(chromedp.CSS(sel), value)
}

func (w *setupWalk) number(expr string) int64 {
	w.t.Helper()
	s, err := chromedp.Run(w.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		w.t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		w.t.Fatalf("%s = %q: %v", expr, s, err)
	}
	return n
}

// waitRoomMessage waits until the fake has recorded a message to the room
// channelID or ctx ends, woken by each message it records.
func waitRoomMessage(ctx context.Context, fake *lineworkstest.Server, channelID string) error {
	for {
		changed := fake.Changed() // before reading, so that no message is missed
		for _, m := range fake.Messages() {
			if m.ChannelID == channelID {
				return nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
