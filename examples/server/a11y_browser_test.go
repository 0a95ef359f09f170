package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
)

// The accessibility tests run axe-core (from the npm registry; .ci/run
// installs it and sets UKETSUKE_AXE_JS to its axe.min.js) in Chromium on
// every page and state of the kiosk, the completion screens, the demo and
// the admin pages, and check keyboard use, large text, the four languages
// and a network drop.

// wcagTags are the axe rule tags of WCAG 2.1 levels A and AA.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeSource reads axe.min.js, or skips the test when it is not installed
// here. A UKETSUKE_AXE_JS that names a missing file is a failure: .ci/run
// sets it after installing axe-core, so CI cannot pass by skipping.
func axeSource(t *testing.T) string {
	t.Helper()
	path, set := os.LookupEnv("UKETSUKE_AXE_JS")
	if !set {
		path = filepath.Join(os.TempDir(), "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if set || os.Getenv("CI") != "" {
			t.Fatalf("axe-core is missing (%v); .ci/run installs it with npm and sets UKETSUKE_AXE_JS", err)
		}
		t.Skipf("axe-core not installed (%v): npm install --prefix \"$TMPDIR/axe\" axe-core@4, or set UKETSUKE_AXE_JS to axe.min.js; skipping", err)
	}
	return string(src)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeCheck runs axe on the page as it is now and reports its WCAG 2.1 A/AA
// violations as test errors; it returns how many there were.
func axeCheck(t *testing.T, ctx context.Context, state, src string) int {
	t.Helper()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true"))
	}
	if err != nil {
		t.Fatalf("%s: loading axe: %.300v", state, err)
	}
	tags, _ := json.Marshal(wcagTags)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: `+string(tags)+`}, resultTypes: ["violations"]})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: running axe: %v", state, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result %q: %v", state, out, err)
	}
	for _, v := range vs {
		t.Errorf("axe, %s: %s (%s) %s at %v", state, v.ID, v.Impact, v.Help, v.Nodes)
	}
	t.Logf("axe, %s: %d violations", state, len(vs))
	return len(vs)
}

// axeSelfCheck shows that axe runs and finds what the audit found: white
// on the old green, and a field named only by its placeholder.
func axeSelfCheck(t *testing.T, ctx context.Context, src string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
		t.Fatalf("loading axe: %.300v", err)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		const d = document.createElement("div");
		d.id = "axe-self-check";
		// Styled through the CSSOM: the pages' Content-Security-Policy
		// refuses style attributes in markup.
		const b = document.createElement("button");
		b.textContent = "受付";
		b.style.background = "#00c73c";
		b.style.color = "#fff";
		d.append(b, document.createElement("input"));
		document.body.append(d);
		return axe.run(d, {runOnly: {type: "tag", values: ["wcag2aa", "wcag2a"]}}).then(r => { d.remove(); return r.violations.map(v => v.id); });
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !slices.Contains(ids, "color-contrast") || !slices.Contains(ids, "label") {
		t.Fatalf("axe on a known-bad fragment found %v, %v; want color-contrast and label", ids, err)
	}
}

// smallTargets lists the visible links, buttons, summaries and fields
// smaller than 44×44 CSS pixels (text fields only count their height).
const smallTargets = `[...document.querySelectorAll("a[href], button, summary, input:not([type=hidden]), select")]
	.filter(e => e.offsetParent !== null && !e.closest(".visually-hidden"))
	.map(e => [e, e.getBoundingClientRect()])
	.filter(([e, r]) => r.height < 44 || (r.width < 44 && !["INPUT", "SELECT"].includes(e.tagName)))
	.map(([e, r]) => (e.id || e.textContent.trim() || e.tagName) + " " + Math.round(r.width) + "x" + Math.round(r.height))`

func checkTargets(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	small, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](smallTargets))
	if err != nil {
		t.Fatal(err)
	}
	if len(small) > 0 {
		t.Errorf("%s: touch targets under 44×44 px: %v", state, small)
	}
}

// setOffline turns Chromium's network emulation on or off: offline, every
// request of the page fails and navigator.onLine is false.
func setOffline(offline bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		rule := []*network.Conditions{{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rule}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	})
}

// enrolKiosk opens the kiosk URL once (the token goes into a cookie).
func enrolKiosk(t *testing.T, ctx context.Context, kioskURL string) {
	t.Helper()
	do(t, ctx, "open the kiosk", chromedp.Navigate(kioskURL), chromedp.WaitVisible(chromedp.CSS(`button.big`)))
}

// TestBrowserAccessibility runs axe on every page and state with zero WCAG
// 2.1 A/AA violations allowed, and checks the kiosk's touch targets.
func TestBrowserAccessibility(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowser(t)
	ds := startDemoServer(t)
	enrolKiosk(t, ctx, ds.kiosk)
	axeSelfCheck(t, ctx, src)
	for _, lang := range []string{"ja", "en", "zh-Hans", "ko"} {
		do(t, ctx, "kiosk in "+lang, chromedp.Navigate(ds.base+"/kiosk/demo?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`button.big`)))
		axeCheck(t, ctx, "kiosk "+lang, src)
		checkTargets(t, ctx, "kiosk "+lang)
	}
	do(t, ctx, "open the optional fields and search staff",
		chromedp.Navigate(ds.base+"/kiosk/demo"), chromedp.WaitVisible(chromedp.CSS(`button.big`)),
		chromedp.Click(chromedp.CSS("#kiosk-details > summary")),
		chromedp.SendKeys(chromedp.CSS("#staff-search"), "佐藤"),
		chromedp.WaitVisible(chromedp.CSS("#staff-results button")))
	axeCheck(t, ctx, "kiosk, staff search results", src)
	checkTargets(t, ctx, "kiosk, staff search results")
	do(t, ctx, "pick staff", chromedp.Click(chromedp.CSS("#staff-results button")), chromedp.WaitVisible(chromedp.CSS("#staff-chosen .clear")))
	axeCheck(t, ctx, "kiosk, staff chosen", src)
	checkTargets(t, ctx, "kiosk, staff chosen")
	do(t, ctx, "search with no match", chromedp.Click(chromedp.CSS("#staff-chosen .clear")),
		chromedp.SendKeys(chromedp.CSS("#staff-search"), "存在しない"), chromedp.WaitVisible(chromedp.CSS("#staff-results .none")))
	axeCheck(t, ctx, "kiosk, no staff match", src)
	do(t, ctx, "a refused check-in", evalTrue(`document.querySelector("button.big").value = "no-such-button"; true`),
		chromedp.Click(chromedp.CSS("button.big")), chromedp.WaitVisible(chromedp.CSS("#kiosk-error")))
	axeCheck(t, ctx, "kiosk, check-in refused", src)

	do(t, ctx, "offline check-in", chromedp.Navigate(ds.base+"/kiosk/demo"), chromedp.WaitVisible(chromedp.CSS(`button.big`)),
		setOffline(true), chromedp.Click(chromedp.CSS("button.big")), chromedp.WaitVisible(chromedp.CSS("#kiosk-offline")))
	axeCheck(t, ctx, "kiosk, offline", src)
	do(t, ctx, "back online", setOffline(false), chromedp.Navigate(ds.base+"/kiosk/demo"), chromedp.WaitVisible(chromedp.CSS(`button.big`)))
	waitJS(t, ctx, "the kept check-in to be sent", `!localStorage.getItem("uketsuke.kiosk.queue:/kiosk/demo") || localStorage.getItem("uketsuke.kiosk.queue:/kiosk/demo") === "[]"`)

	for _, lang := range []string{"ja", "en", "zh-Hans", "ko"} {
		do(t, ctx, "check in ("+lang+")", chromedp.Navigate(ds.base+"/kiosk/demo?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`button.big`)),
			chromedp.Click(chromedp.CSS(`button.big`)), chromedp.WaitVisible(chromedp.CSS("#done-message")))
		axeCheck(t, ctx, "completion "+lang, src)
		checkTargets(t, ctx, "completion "+lang)
	}
	do(t, ctx, "completion with the fallback", chromedp.Navigate(ds.base+"/kiosk/demo/done?delivery=unavailable"), chromedp.WaitVisible(chromedp.CSS("#fallback")))
	axeCheck(t, ctx, "completion, staff cannot be notified", src)

	do(t, ctx, "the demo", chromedp.Navigate(ds.base+"/demo"), chromedp.WaitVisible(chromedp.CSS("#feed .msg")))
	axeCheck(t, ctx, "demo", src)
	do(t, ctx, "a message page", chromedp.Navigate(ds.base+"/kiosk/nosuchorg"), chromedp.WaitVisible(chromedp.CSS("h1")))
	axeCheck(t, ctx, "message page", src)
	axeAdmin(t, ctx, ds, src)
}

// axeAdmin checks the admin pages: sign-in, then every page signed in,
// including an organization that cannot deliver and its kiosk.
func axeAdmin(t *testing.T, ctx context.Context, ds *demoServer, src string) {
	t.Helper()
	do(t, ctx, "admin sign-in page", chromedp.Navigate(ds.base+"/admin"), chromedp.WaitVisible(chromedp.CSS("#token")))
	axeCheck(t, ctx, "admin sign-in", src)
	do(t, ctx, "sign in", chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken), chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/demo"]`)))
	axeCheck(t, ctx, "admin organizations", src)
	for _, p := range []string{"", "/buttons", "/staff", "/rooms", "/visits"} {
		do(t, ctx, "admin "+p, chromedp.Navigate(ds.base+"/admin/demo"+p), chromedp.WaitVisible(chromedp.CSS("main h1")))
		axeCheck(t, ctx, "admin demo"+p, src)
	}
	do(t, ctx, "an organization that cannot deliver",
		chromedp.Navigate(ds.base+"/admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="id"]`), "branch"),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "支店"),
		chromedp.Submit(chromedp.CSS(`input[name="id"]`)),
		chromedp.WaitVisible(chromedp.CSS("#delivery.unavailable")))
	axeCheck(t, ctx, "admin, organization without integration", src)
	kioskURL, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#kiosk-url")))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "its kiosk", chromedp.Navigate(kioskURL), chromedp.WaitVisible(chromedp.CSS("#fallback")))
	axeCheck(t, ctx, "kiosk, staff cannot be notified", src)
}

// focusedIs presses Tab until the focused element matches sel.
func tabTo(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for range 40 {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		do(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
	}
	t.Fatalf("Tab never reached %s", sel)
}

func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.id || e.tagName + (e.value ? "=" + e.value : ""))(document.activeElement)`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBrowserKeyboardCheckIn checks a visitor in with the keyboard only:
// the optional fields, the staff search (typed, arrowed into, picked) and a
// reason button; focus never falls to the page, the focus ring is strong,
// and the completion message gets the focus.
func TestBrowserKeyboardCheckIn(t *testing.T) {
	ctx := newBrowser(t)
	ds := startDemoServer(t)
	enrolKiosk(t, ctx, ds.kiosk)
	const visitor = "鍵盤 太郎"
	tabTo(t, ctx, "#kiosk-details > summary")
	ring, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineWidth + " " + getComputedStyle(document.activeElement).outlineStyle`))
	if err != nil || ring != "4px solid" {
		t.Errorf("focus ring on the summary = %q, %v; want 4px solid", ring, err)
	}
	do(t, ctx, "open the optional fields", chromedp.KeyEvent(kb.Enter))
	tabTo(t, ctx, "#visitor-name")
	do(t, ctx, "type the name", chromedp.KeyEvent(visitor))
	tabTo(t, ctx, "#staff-search")
	do(t, ctx, "search staff", chromedp.KeyEvent("佐藤"), chromedp.WaitVisible(chromedp.CSS("#staff-results button")))
	if got := text(t, ctx, "#staff-count"); got != "1人見つかりました" {
		t.Errorf("announced search result = %q", got)
	}
	do(t, ctx, "arrow into the results and pick", chromedp.KeyEvent(kb.ArrowDown))
	if got := focused(t, ctx); got != "BUTTON" {
		t.Fatalf("after ArrowDown the focus is on %q, want the result button", got)
	}
	do(t, ctx, "pick", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#staff-chosen")))
	if got := focused(t, ctx); got != "staff-chosen" {
		t.Errorf("after picking, the focus is on %q, want #staff-chosen", got)
	}
	tabTo(t, ctx, `button.big[value="general"]`)
	do(t, ctx, "check in with Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#done-message")))
	waitJS(t, ctx, "focus on the completion message", `document.activeElement && document.activeElement.id === "done-message"`)
	msg := waitFeedMessage(t, ds, visitor)
	if !strings.Contains(msg, "ご指名: 佐藤 花子") || !strings.Contains(msg, "総務部") {
		t.Errorf("notification of the keyboard check-in = %q", msg)
	}
}

// TestBrowserLargeText: at 200 % text size the reason buttons are on the
// first screen of a 768-px tablet.
func TestBrowserLargeText(t *testing.T) {
	ctx := newBrowser(t)
	ds := startDemoServer(t)
	do(t, ctx, "200 % text", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetFontSizes, page.SetFontSizesParams{FontSizes: &page.FontSizes{Standard: 32, Fixed: 26}})
		return err
	}))
	for _, lang := range []string{"ja", "en", "zh-Hans", "ko"} {
		do(t, ctx, "kiosk", chromedp.Navigate(ds.kiosk+"&lang="+lang), chromedp.WaitVisible(chromedp.CSS(`button.big`)))
		size, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontSize`))
		if err != nil || size != "36.8px" { // 1.15rem of 32 px
			t.Fatalf("body font size = %q, %v; want the doubled size", size, err)
		}
		bottoms, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("button.big")].map(b => b.getBoundingClientRect().bottom)`))
		if err != nil || len(bottoms) != 3 {
			t.Fatalf("buttons: %v, %v", bottoms, err)
		}
		for i, b := range bottoms {
			if b > 768 {
				t.Errorf("%s at 200 %% text: reason button %d ends at y=%.0f, below the first 768-px screen", lang, i+1, b)
			}
		}
	}
}

// feedAfter returns the demo's messages after the first after, waiting up
// to wait seconds for one to arrive: the feed's long poll answers as soon
// as the demo's LINE WORKS records a message.
func feedAfter(t *testing.T, ds *demoServer, after, wait int) httpserver.FeedJSON {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/demo/messages?after=%d&wait=%d", ds.base, after, wait))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var feed httpserver.FeedJSON
	if err := json.NewDecoder(resp.Body).Decode(&feed); err != nil {
		t.Fatal(err)
	}
	return feed
}

// waitFeed waits, for up to 30 s, for messages in the demo's feed to
// match, and returns every match in the feed by then.
func waitFeed(t *testing.T, ds *demoServer, what string, match func(httpserver.FeedMessage) bool) []httpserver.FeedMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var found []httpserver.FeedMessage
	for next := 0; time.Now().Before(deadline); {
		feed := feedAfter(t, ds, next, max(1, min(int(time.Until(deadline).Seconds()), 25)))
		for _, m := range feed.Messages {
			if match(m) {
				found = append(found, m)
			}
		}
		if len(found) > 0 {
			return found
		}
		next = feed.Next
	}
	t.Fatalf("waiting for %s: not in the demo's feed\n%s", what, ds.stderr)
	return nil
}

// feedTexts returns the messages in the demo's talk rooms.
func feedTexts(t *testing.T, ds *demoServer) []string {
	t.Helper()
	var out []string
	for _, m := range feedAfter(t, ds, 0, 0).Messages {
		if m.ChannelID != "" { // the room's; chosen staff also get a 1:1 copy
			out = append(out, m.Text)
		}
	}
	return out
}

// waitFeedMessage waits for the one room message about visitor.
func waitFeedMessage(t *testing.T, ds *demoServer, visitor string) string {
	t.Helper()
	found := waitFeed(t, ds, "the notification about "+visitor, func(m httpserver.FeedMessage) bool {
		// the room's; chosen staff also get a 1:1 copy
		return m.ChannelID != "" && strings.Contains(m.Text, visitor) && strings.Contains(m.Text, "お越しです")
	})
	if len(found) > 1 {
		t.Fatalf("%d notifications about %s, want 1: %+v", len(found), visitor, found)
	}
	return found[0].Text
}

// TestBrowserKioskLanguages checks a visitor in in each kiosk language, end
// to end: the kiosk's wording and button labels, the completion screen, the
// return to the default language for the next visitor, and the staff
// notification, which stays in Japanese and names the visitor's language.
// It takes the README's screenshots of the kiosk in the four languages.
func TestBrowserKioskLanguages(t *testing.T) {
	ctx := newBrowser(t)
	ds := startDemoServer(t)
	enrolKiosk(t, ctx, ds.kiosk)
	for _, tc := range []struct{ lang, welcome, label, done, note string }{
		{"ja", "いらっしゃいませ", "営業部", "担当者に通知しました。少々お待ちください", ""},
		{"en", "Welcome", "Sales", "We have notified the staff. Please wait a moment.", "※ 来訪者は受付で英語を使いました"},
		{"zh-Hans", "欢迎光临", "销售部", "已通知工作人员，请稍候。", "※ 来訪者は受付で中国語（簡体字）を使いました"},
		{"ko", "어서 오십시오", "영업부", "담당자에게 알려 드렸습니다. 잠시만 기다려 주세요.", "※ 来訪者は受付で韓国語を使いました"},
	} {
		visitor := "Visitor " + tc.lang
		do(t, ctx, "pick "+tc.lang, chromedp.Navigate(ds.base+"/kiosk/demo"), chromedp.WaitVisible(chromedp.CSS(`button.big`)),
			chromedp.Click(chromedp.CSS(`a.lang[lang="`+tc.lang+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="`+tc.lang+`"] button.big`)))
		if got := text(t, ctx, "h1"); got != tc.welcome {
			t.Errorf("%s: heading = %q, want %q", tc.lang, got, tc.welcome)
		}
		if got := text(t, ctx, `button.big[value="sales"]`); got != tc.label {
			t.Errorf("%s: the sales button says %q, want %q", tc.lang, got, tc.label)
		}
		screenshot(t, ctx, "kiosk-"+tc.lang)
		do(t, ctx, "check in ("+tc.lang+")",
			chromedp.Click(chromedp.CSS("#kiosk-details > summary")),
			chromedp.SendKeys(chromedp.CSS("#visitor-name"), visitor),
			chromedp.Click(chromedp.CSS(`button.big[value="sales"]`)),
			chromedp.WaitVisible(chromedp.CSS("#done-message")))
		if got := text(t, ctx, "#done-message"); got != tc.done {
			t.Errorf("%s: completion says %q, want %q", tc.lang, got, tc.done)
		}
		do(t, ctx, "back to the start", chromedp.Click(chromedp.CSS("#back-link")), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] button.big`)))
		msg := waitFeedMessage(t, ds, visitor)
		if !strings.Contains(msg, "が「営業部」でお越しです") {
			t.Errorf("%s: the notification is not in the organization's Japanese: %q", tc.lang, msg)
		}
		if tc.note != "" && !strings.HasSuffix(msg, "\n"+tc.note) || tc.note == "" && strings.Contains(msg, "来訪者は受付で") {
			t.Errorf("%s: notification = %q, want the language note %q", tc.lang, msg, tc.note)
		}
	}
}

// TestBrowserNetworkDrop: with Chromium's network emulation offline, a
// check-in shows the fallback at once and is kept in the browser; back
// online it is delivered once, marked late, even though it was queued
// twice (an answer lost in the drop), and the kiosk returns to its start
// screen by itself.
func TestBrowserNetworkDrop(t *testing.T) {
	ctx := newBrowser(t)
	ds := startInProcess(t, map[string]string{"UKETSUKE_DEMO": "1", "UKETSUKE_ADMIN_TOKEN": testAdminToken, "UKETSUKE_KIOSK_RETURN": "5"}, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	enrolKiosk(t, ctx, ds.kiosk)
	const visitor = "圏外 花子"
	const queue = `JSON.parse(localStorage.getItem("uketsuke.kiosk.queue:/kiosk/demo") || "[]")`
	do(t, ctx, "go offline and check in",
		chromedp.Click(chromedp.CSS("#kiosk-details > summary")),
		chromedp.SendKeys(chromedp.CSS("#visitor-name"), visitor),
		setOffline(true),
		chromedp.Click(chromedp.CSS(`button.big[value="sales"]`)),
		chromedp.WaitVisible(chromedp.CSS("#kiosk-offline")))
	if got := text(t, ctx, "#offline-fallback"); !strings.Contains(got, "受付の電話または近くの係員") {
		t.Errorf("offline screen's fallback = %q", got)
	}
	if got := focused(t, ctx); got != "offline-message" {
		t.Errorf("focus on the offline screen = %q, want the message", got)
	}
	screenshot(t, ctx, "kiosk-offline")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](queue+`.length`))
	if err != nil || n != 1 {
		t.Fatalf("kept check-ins = %d, %v; want 1", n, err)
	}
	for _, s := range feedTexts(t, ds) {
		if strings.Contains(s, visitor) {
			t.Fatalf("the server heard of the check-in while offline: %q", s)
		}
	}
	// The answer to a first send was lost: the same check-in is queued
	// twice, with one idempotency key.
	do(t, ctx, "queue it twice", evalTrue(`(() => { const q = `+queue+`; q.push(q[0]); localStorage.setItem("uketsuke.kiosk.queue:/kiosk/demo", JSON.stringify(q)); return true })()`))
	do(t, ctx, "back online", setOffline(false))
	waitJS(t, ctx, "the queue to empty", queue+`.length === 0`)
	msg := waitFeedMessage(t, ds, visitor)
	if !strings.Contains(msg, "遅れて届きました") {
		t.Errorf("the kept check-in is not marked late: %q", msg)
	}
	waitJS(t, ctx, "the kiosk back at its start", `!!document.querySelector("#kiosk-start:not([hidden]) button.big") && location.pathname === "/kiosk/demo"`)
	// Settled: still one notification (waitFeedMessage fails on two).
	do(t, ctx, "a later check-in online", chromedp.Click(chromedp.CSS(`button.big[value="general"]`)), chromedp.WaitVisible(chromedp.CSS("#done-message")))
	waitFeedMessage(t, ds, visitor)
	// The completion screen returns to the start by itself too.
	waitJS(t, ctx, "the completion screen to return", `location.pathname === "/kiosk/demo" && !!document.querySelector("button.big")`)
}
