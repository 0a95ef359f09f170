package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
	"github.com/uketsuke/uketsuke/internal/servertest"
	"github.com/uketsuke/uketsuke/lineworks/lineworkstest"
)

// The browser tests drive Chromium (headless, through chromedp) against the
// server started in-process in demo mode. They skip only when no Chromium
// is installed; CI installs it (.ci/run).
//
// They also take the screenshots in docs/screenshots. To regenerate them
// (Japanese fonts needed: apt-get install fonts-noto-cjk):
//
//	UKETSUKE_SCREENSHOTS=1 go test ./examples/server -run TestBrowser -count=1

const browserTimeout = 3 * time.Minute

// chromiumPath finds the browser, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("UKETSUKE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Skip("no chromium binary found (apt-get install chromium, or set UKETSUKE_CHROMIUM); skipping the browser test")
	return ""
}

// demoServer runs the server in-process in demo mode on a temporary
// database and returns its URL and the kiosk URL the banner printed.
type demoServer struct {
	base, kiosk string
	stderr      *servertest.Buffer
}

func startDemoServer(t *testing.T) *demoServer {
	t.Helper()
	ds := startInProcess(t, map[string]string{"UKETSUKE_DEMO": "1", "UKETSUKE_ADMIN_TOKEN": testAdminToken}, true)
	// The banner says localhost; the browser uses the address we listen on.
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	if !strings.HasPrefix(ds.kiosk, ds.base+"/kiosk/demo?token=") {
		t.Fatalf("kiosk URL in the banner = %q", ds.kiosk)
	}
	return ds
}

// startInProcess runs the server in-process with env on a temporary database
// until the test ends, and reads the URLs its banner prints (the kiosk's
// only with wantKiosk, as only demo mode prints one).
//
// The tests count days with time.Now's zone, so the server's zone is the
// machine's (UKETSUKE_TIME_ZONE=Local) unless env says otherwise.
func startInProcess(t *testing.T, env map[string]string, wantKiosk bool) *demoServer {
	t.Helper()
	env = maps.Clone(env)
	if _, ok := env["UKETSUKE_TIME_ZONE"]; !ok {
		env["UKETSUKE_TIME_ZONE"] = "Local"
	}
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	ds := &demoServer{stderr: &servertest.Buffer{}}
	db := filepath.Join(t.TempDir(), "uketsuke.db")
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"--addr", "127.0.0.1:0", "--db", db}, envOf(env), outW, ds.stderr)
		outW.Close()
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run = %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not return after cancel")
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for ds.base == "" || (wantKiosk && ds.kiosk == "") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the banner ended without the URLs\n%s", ds.stderr)
			}
			if u, ok := strings.CutPrefix(l, "uketsuke: listening on "); ok {
				ds.base = u
			}
			if _, u, ok := strings.Cut(l, "キオスク / kiosk:"); ok {
				ds.kiosk = strings.TrimSpace(u)
			}
		case err := <-done:
			t.Fatalf("run returned %v before listening\n%s", err, ds.stderr)
		case <-deadline:
			t.Fatalf("no banner\n%s", ds.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	return ds
}

// newBrowser starts headless Chromium with a fresh profile and a tablet's
// viewport. The flags keep it off the network: without them Chromium waits
// on background requests in a closed network.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "ja"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	}
	opts = append(opts, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1024, 768)); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return bctx
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// evalTrue runs JavaScript that ends in true, as a step.
func evalTrue(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("%s: not true", expr)
		}
		return chromedp.Void{}, err
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitJS waits until a JavaScript condition is true, for up to 30 s. The
// browser checks it at every animation frame (chromedp.Poll). A poll does
// not survive a navigation, and some conditions are met by one (the kiosk
// going back to its start): then it is started again on the new page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var err error
	for range 100 { // navigations; bounded, in case an error is not one
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(left))); err == nil {
			return
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || ctx.Err() != nil {
			break
		}
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
	t.Fatalf("waiting for %s: %v; page:\n%.3000s", what, err, html)
}

// screenshot saves a full-page PNG in the test's directory and, with
// UKETSUKE_SCREENSHOTS=1, in docs/screenshots.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if os.Getenv("UKETSUKE_SCREENSHOTS") == "1" {
		dirs = append(dirs, filepath.Join("..", "..", "docs", "screenshots"))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserKioskAndDemo checks a visitor in on the kiosk page and plays
// the staff member on /demo, in Chromium.
func TestBrowserKioskAndDemo(t *testing.T) {
	ctx := newBrowser(t)
	ds := startDemoServer(t)
	const visitor = "高橋 美咲"

	// The tablet opens the kiosk URL once; the token moves into a cookie.
	do(t, ctx, "open the kiosk",
		chromedp.Navigate(ds.kiosk),
		chromedp.WaitVisible(chromedp.CSS(`button.big[value="sales"]`)),
	)
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(loc, "token=") {
		t.Errorf("kiosk location = %q, %v; want the token out of the URL", loc, err)
	}
	// Staff search: typing filters the list; picking one selects them.
	do(t, ctx, "fill the kiosk form",
		chromedp.Click(chromedp.CSS("#kiosk-details > summary")),
		chromedp.SendKeys(chromedp.CSS("#visitor-name"), visitor),
		chromedp.SendKeys(chromedp.CSS("#visitor-company"), "デモ商事"),
		chromedp.Click(chromedp.CSS(`[data-step="1"]`)),
		chromedp.Click(chromedp.CSS(`[data-step="1"]`)),
		chromedp.SendKeys(chromedp.CSS("#staff-search"), "佐藤"),
		chromedp.WaitVisible(chromedp.CSS("#staff-results button")),
	)
	if got := text(t, ctx, "#staff-results"); !strings.Contains(got, "佐藤 花子") || strings.Contains(got, "山田") {
		t.Errorf("staff search for 佐藤 shows %q", got)
	}
	do(t, ctx, "pick the staff member", chromedp.Click(chromedp.CSS("#staff-results button")), chromedp.WaitVisible(chromedp.CSS("#staff-chosen")))
	screenshot(t, ctx, "kiosk")

	do(t, ctx, "tap 営業部",
		chromedp.Click(chromedp.CSS(`button.big[value="sales"]`)),
		chromedp.WaitVisible(chromedp.CSS("#done-message")),
	)
	if got := text(t, ctx, "#done-message"); got != "担当者に通知しました。少々お待ちください" {
		t.Errorf("completion screen says %q", got)
	}
	// The way back (it also returns by itself after UKETSUKE_KIOSK_RETURN;
	// TestBrowserNetworkDrop waits for that).
	do(t, ctx, "back to the start", chromedp.Click(chromedp.CSS("#back-link")))
	waitJS(t, ctx, "the kiosk to return to the start", `location.pathname === "/kiosk/demo" && !!document.querySelector("button.big")`)

	// English toggle: labels and wording switch.
	do(t, ctx, "switch to English", chromedp.Click(chromedp.CSS(`a.lang[lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] button.big`)))
	if got := text(t, ctx, "h1"); got != "Welcome" {
		t.Errorf("English heading = %q", got)
	}
	if got := text(t, ctx, `button.big[value="sales"]`); got != "Sales" {
		t.Errorf("English label of 営業部 = %q, want Sales (Button.Labels)", got)
	}

	// The demo page: the room got the notification; 山田 taps 「対応します」.
	do(t, ctx, "open /demo", chromedp.Navigate(ds.base+"/demo"), chromedp.WaitVisible(chromedp.CSS("#feed")))
	waitJS(t, ctx, "the notification in the talk room", fmt.Sprintf(`[...document.querySelectorAll("#feed .msg")].some(m => m.textContent.includes(%q) && m.querySelector(".actions button"))`, visitor))
	for _, id := range []string{"#kiosk-link", "#admin-link"} {
		if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(id))); err != nil {
			t.Errorf("the demo page has no %s: %v", id, err)
		}
	}
	do(t, ctx, "act as 山田", chromedp.Click(chromedp.CSS(`#staff-picker input[value="demo-user-yamada"]`)))
	clicked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll("#feed .msg")].find(m => m.textContent.includes(%q) && m.querySelector(".to").textContent === "受付通知（デモ）" && m.querySelector(".actions button"));
		const b = m && [...m.querySelectorAll(".actions button")].find(b => b.textContent.trim() === "対応します");
		if (b) b.click();
		return !!b;
	})()`, visitor)))
	if err != nil || !clicked {
		t.Fatalf("clicking 対応します: %v %v", clicked, err)
	}
	waitJS(t, ctx, "the handler's name under the visitor", fmt.Sprintf(`[...document.querySelectorAll("#feed .msg .text")].some(p => p.textContent.includes(%q) && p.textContent.includes("山田 太郎") && p.textContent.indexOf(%q) < p.textContent.lastIndexOf("山田 太郎"))`, visitor, visitor))
	screenshot(t, ctx, "demo")
}

// TestBrowserAdmin signs in to the admin pages and fills the integration
// and button forms in Chromium.
func TestBrowserAdmin(t *testing.T) {
	ctx := newBrowser(t)
	ds := startDemoServer(t)

	do(t, ctx, "sign in",
		chromedp.Navigate(ds.base+"/admin"),
		chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/demo"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/demo"]`)),
		chromedp.WaitVisible(chromedp.CSS("#clientId")),
	)
	// The demo's kiosk token was issued at start-up (the banner printed
	// it); the page says one is in force without showing it.
	if got := text(t, ctx, "#kiosk-kept"); !strings.Contains(got, "発行済み") || strings.Contains(got, "token=") {
		t.Errorf("kiosk section of the admin page = %q", got)
	}
	if got := text(t, ctx, "#delivery.ok h2"); !strings.Contains(got, "通知を届けられます") {
		t.Errorf("delivery status of the demo organization = %q, want green", got)
	}
	screenshot(t, ctx, "admin")

	// A Client ID pasted with a full-width space: accepted, with a warning
	// at the field. The bot secret is set to one the test knows, to sign
	// a join event below.
	const botSecret = "browser-test-bot-secret"
	do(t, ctx, "paste a Client ID with U+3000",
		evalTrue(`document.getElementById("clientId").value = "\u3000" + document.getElementById("clientId").value; true`),
		// The bot secret is one of the fields the set-up fills itself,
		// folded away: unfold them to correct one by hand.
		chromedp.Click(chromedp.CSS("#advanced > summary")),
		chromedp.SendKeys(chromedp.CSS("#botSecret"), botSecret),
		chromedp.Click(chromedp.CSS(`button[value="verify"]`)),
		chromedp.WaitVisible(chromedp.CSS("#field-clientId .field-warning")),
	)
	if got := text(t, ctx, "#field-clientId .field-warning"); !strings.Contains(got, "Client ID") || !strings.Contains(got, "全角スペース") {
		t.Errorf("warning at Client ID = %q", got)
	}
	if got := text(t, ctx, ".success"); !strings.Contains(got, "接続できました") {
		t.Errorf("verification = %q", got)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#clientId"))); strings.ContainsRune(v, '\u3000') || v == "" {
		t.Errorf("Client ID after saving = %q", v)
	}

	// "Sign in with LINE WORKS" works in demo mode too: the built-in fake
	// signs in the demo's bot administrator and the page says so.
	do(t, ctx, "sign in with LINE WORKS (demo)",
		chromedp.Click(chromedp.CSS("#signin-link")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	if got := text(t, ctx, "#signin"); !strings.Contains(got, "demo-user-yamada") {
		t.Errorf("after the demo sign-in the page says %q", got)
	}

	// A public key as the .key file: refused at the key field.
	keyFile := filepath.Join(t.TempDir(), "public.key")
	if err := os.WriteFile(keyFile, servertest.PublicKeyPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "upload a public key",
		chromedp.SetUploadFiles(chromedp.CSS("#privateKeyFile"), []string{keyFile}),
		chromedp.Click(chromedp.CSS(`button[value="save"]`)),
		chromedp.WaitVisible(chromedp.CSS("#field-privateKey .field-error")),
	)
	if got := text(t, ctx, "#field-privateKey .field-error"); !strings.Contains(got, "Private Key") {
		t.Errorf("key error = %q", got)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#field-privateKey .invalid").length`)); n == 0 {
		t.Error("the key field is not highlighted")
	}

	// The bot joins a new room (LINE WORKS sends a join event); the room
	// shows up in the picker of the button form.
	sender := lineworkstest.CallbackSender{BotID: httpserver.DemoBotID, Secret: botSecret, URL: ds.base + app.CallbackPath}
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if status, err := sender.Send(rctx, lineworkstest.JoinEvent("room-2f")); err != nil || status != http.StatusOK {
		t.Fatalf("join callback = %d, %v\n%s", status, err, ds.stderr)
	}
	// The server stores the room, then posts its room-ID message there.
	waitFeed(t, ds, "the room-ID message in room-2f", func(m httpserver.FeedMessage) bool { return m.ChannelID == "room-2f" })
	do(t, ctx, "open the rooms page", chromedp.Navigate(ds.base+"/admin/demo/rooms"))
	if got := text(t, ctx, "main"); !strings.Contains(got, "room-2f") {
		t.Fatalf("room-2f not on the rooms page:\n%s\n%s", got, ds.stderr)
	}
	do(t, ctx, "add a button in the new room",
		chromedp.Navigate(ds.base+"/admin/demo/buttons"),
		chromedp.WaitReady(chromedp.CSS(`#room option[value="room-2f"]`)),
		chromedp.SendKeys(chromedp.CSS("#label"), "2F 来客"),
		chromedp.SendKeys(chromedp.CSS("#labelEn"), "Visitors 2F"),
		chromedp.SetValue(chromedp.CSS("#room"), "room-2f"),
		chromedp.Click(chromedp.CSS(`input[name="staff"][value="sato"]`)),
		chromedp.SetValue(chromedp.CSS("#after"), "5m"),
		chromedp.Click(chromedp.CSS(`#button-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	)
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#buttons tbody tr")].map(r => r.textContent).find(t => t.includes("2F 来客")) || ""`))
	if err != nil || !strings.Contains(row, "room-2f") || !strings.Contains(row, "佐藤 花子") || !strings.Contains(row, "5m") {
		t.Errorf("saved button row = %q, %v; want room-2f, 佐藤 花子 and the reminder", row, err)
	}

	// A new organization has no integration: its page is red, naming the
	// cause and the fix, and takes the kiosk's fallback text.
	do(t, ctx, "create an organization",
		chromedp.Navigate(ds.base+"/admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), "branch"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "支店"),
		chromedp.Submit(chromedp.CSS(`input[name="id"]`)),
		chromedp.WaitVisible(chromedp.CSS("#delivery.unavailable")),
	)
	if got := text(t, ctx, "#delivery"); !strings.Contains(got, "通知を届けられません") || !strings.Contains(got, "no_integration") || !strings.Contains(got, "Botを作成") {
		t.Errorf("delivery status of a new organization = %q, want red with cause and fix", got)
	}
	do(t, ctx, "set the kiosk fallback",
		chromedp.SendKeys(chromedp.CSS("#kioskFallback"), "内線100番にお電話ください"),
		chromedp.Submit(chromedp.CSS("#kioskFallback")),
	)
	// The page after the save (the one before it had a notice too).
	waitJS(t, ctx, "the page after saving the fallback", `location.search.includes("fallback") && !!document.querySelector(".notice")`)
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#kioskFallback"))); v != "内線100番にお電話ください" {
		t.Errorf("kiosk fallback after saving = %q", v)
	}
	screenshot(t, ctx, "admin-undeliverable")
}
