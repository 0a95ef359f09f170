package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/examples/server/internal/httpserver"
)

// Browser tests of appointments: the kiosk's code entry (keypad, wrong
// codes, the wrong-code limit, the camera reading a QR code from
// Chromium's fake capture device) and the admin page's appointment list.
// They wait on the page (chromedp.Poll, WaitVisible), never on the clock.

// waitTrue waits until a JavaScript condition on the current page holds.
func waitTrue(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))
}

// pressKeys taps the keypad's keys for digits.
func pressKeys(digits string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for _, d := range digits {
		steps = append(steps, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#keypad button[data-key="%c"]`, d))))
	}
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		return chromedp.Void{}, chromedp.Do(ctx, steps...)
	}
}

// codePage opens the kiosk's start screen in lang and follows 「予約のある方」.
func codePage(base, lang string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		return chromedp.Void{}, chromedp.Do(ctx,
			chromedp.Navigate(base+"/kiosk/demo?lang="+lang), chromedp.WaitVisible(chromedp.CSS("#appt-link")),
			chromedp.Click(chromedp.CSS("#appt-link")), chromedp.WaitVisible(chromedp.CSS("#keypad")))
	}
}

func TestBrowserAppointmentCode(t *testing.T) {
	ctx := newBrowser(t)
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	enrolKiosk(t, ctx, ds.kiosk)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "テスト商事", Name: "鍵盤 次郎"}}, StartsAt: soon()})

	do(t, ctx, "open the code page", codePage(ds.base, "ja"))
	if got := text(t, ctx, "h1"); got != "受付コードの入力" {
		t.Errorf("code page heading = %q", got)
	}
	// No camera in this browser: the camera button stays hidden.
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("camera").hidden`)); err != nil || !hidden {
		t.Errorf("without a camera the camera section is shown (%v)", err)
	}
	do(t, ctx, "type the code on the keypad", pressKeys(ap.Code[:3]),
		waitTrue(`document.getElementById("code-status").textContent === "3桁入力しました"`),
		chromedp.Click(chromedp.CSS(`#keypad button[data-key="del"]`)),
		waitTrue(`document.getElementById("code").value === `+fmt.Sprintf("%q", ap.Code[:2])),
		pressKeys(ap.Code[2:]),
		waitTrue(`document.getElementById("code-status").textContent === "6桁入力しました"`))
	screenshot(t, ctx, "kiosk-code")
	do(t, ctx, "check in with the code", chromedp.Click(chromedp.CSS("#code-submit")),
		chromedp.WaitVisible(chromedp.CSS("#done-message")))
	if got := text(t, ctx, "#done-message"); !strings.Contains(got, "担当者に通知しました") {
		t.Errorf("after the code the kiosk says %q", got)
	}
	// The host is told 1:1, with the appointment's visitor and the buttons.
	msg := waitDemoMessage(t, ds, func(m httpserver.FeedMessage) bool {
		return m.UserID == "demo-user-sato" && m.ChannelID == "" && strings.Contains(m.Text, "鍵盤 次郎") && len(m.Actions) > 0
	})
	t.Logf("the host's 1:1: %q %+v", msg.Text, msg.Actions)

	// In English: a short code is refused on the page; the used code and
	// unknown codes by the server, in English; then the wrong-code limit.
	do(t, ctx, "a short code", codePage(ds.base, "en"), pressKeys("12"), chromedp.Click(chromedp.CSS("#code-submit")),
		waitTrue(`!document.getElementById("code-error").hidden && document.getElementById("code-error").textContent.includes("all 6 digits")`))
	for _, tc := range []struct{ code, want string }{
		{ap.Code, "already been used"},
		{unusedCode(ap.Code, "", 0), "could not find this reception code"},
		{unusedCode(ap.Code, "", 1), "could not find this reception code"},
		{unusedCode(ap.Code, "", 2), "could not find this reception code"},
		{unusedCode(ap.Code, "", 3), "Too many wrong codes"},
	} {
		do(t, ctx, "enter "+tc.code, codePage(ds.base, "en"), pressKeys(tc.code), chromedp.Click(chromedp.CSS("#code-submit")),
			chromedp.WaitVisible(chromedp.CSS(`#code-error`)))
		if got := text(t, ctx, "#code-error"); !strings.Contains(got, tc.want) {
			t.Errorf("code %s: the kiosk says %q, want %q", tc.code, got, tc.want)
		}
		if got := focused(t, ctx); got != "code" {
			t.Errorf("code %s: focus on %q, want the code field", tc.code, got)
		}
	}
}

// waitDemoMessage long-polls the demo's feed (its fake LINE WORKS) until a
// message matches.
func waitDemoMessage(t *testing.T, ds *demoServer, match func(httpserver.FeedMessage) bool) httpserver.FeedMessage {
	t.Helper()
	var seen []string
	for after, deadline := 0, time.Now().Add(30*time.Second); time.Now().Before(deadline); {
		resp, err := http.Get(fmt.Sprintf("%s/demo/messages?after=%d&wait=5", ds.base, after))
		if err != nil {
			t.Fatal(err)
		}
		var feed httpserver.FeedJSON
		err = json.NewDecoder(resp.Body).Decode(&feed)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range feed.Messages {
			if match(m) {
				return m
			}
			seen = append(seen, m.To+": "+m.Text)
		}
		after = max(after, feed.Next)
	}
	t.Fatalf("no such message in the demo; saw %q\n%s", seen, ds.stderr)
	return httpserver.FeedMessage{}
}

// TestBrowserAppointmentCamera shows a QR code to the kiosk's camera:
// Chromium's fake capture device plays a Y4M video of the QR code made
// here, the page sends frames to /scan, the server decodes the code and
// the page checks the visitor in with it.
func TestBrowserAppointmentCamera(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Name: "カメラ 三郎"}}, StartsAt: soon()})
	video := filepath.Join(t.TempDir(), "qr.y4m")
	writeQRVideo(t, video, ap.Code)
	ctx := newBrowser(t, chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", video))
	enrolKiosk(t, ctx, ds.kiosk)
	do(t, ctx, "open the code page", codePage(ds.base, "ja"), chromedp.WaitVisible(chromedp.CSS("#camera-start")))
	do(t, ctx, "start the camera and show the QR code", chromedp.Click(chromedp.CSS("#camera-start")), chromedp.WaitVisible(chromedp.CSS("#done-message")))
	if got := text(t, ctx, "#done-message"); !strings.Contains(got, "担当者に通知しました") {
		t.Errorf("after the QR code the kiosk says %q", got)
	}
	var got struct {
		Status   string `json:"status"`
		Arrivals int    `json:"arrivals"`
	}
	jsonCall(t, "GET", ds.base+"/api/v1/orgs/demo/appointments/"+ap.ID, testAdminToken, nil, &got)
	if got.Status != "arrived" || got.Arrivals != 1 {
		t.Errorf("after the QR check-in the appointment is %+v", got)
	}

	// Permission refused: the page falls back to the keypad and says so.
	do(t, ctx, "the code page again", codePage(ds.base, "en"), chromedp.WaitVisible(chromedp.CSS("#camera-start")),
		evalTrue(`navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("denied", "NotAllowedError")); true`),
		chromedp.Click(chromedp.CSS("#camera-start")),
		waitTrue(`document.getElementById("camera-status").textContent.includes("camera is not available") && document.activeElement.id === "code"`))
	if vis, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("camera-start").hidden && !document.getElementById("keypad").hidden`)); err != nil || !vis {
		t.Errorf("after a refused camera, want the keypad and no camera button (%v)", err)
	}
}

// writeQRVideo writes a YUV4MPEG2 video (the format Chromium's fake
// capture device plays) of a few 640×480 frames showing a QR code of text:
// a text header, then per frame "FRAME\n" and the I420 planes (Y, then U
// and V at half resolution; grey chroma).
func writeQRVideo(t *testing.T, path, text string) {
	t.Helper()
	const w, h, side = 640, 480, 360
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, side, side, nil)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]byte, w*h)
	for i := range y {
		y[i] = 235
	}
	ox, oy := (w-m.GetWidth())/2, (h-m.GetHeight())/2
	for row := 0; row < m.GetHeight(); row++ {
		for col := 0; col < m.GetWidth(); col++ {
			if m.Get(col, row) {
				y[(oy+row)*w+ox+col] = 16
			}
		}
	}
	chroma := make([]byte, w*h/2) // U and V planes
	for i := range chroma {
		chroma[i] = 128
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	for range 10 {
		bw.WriteString("FRAME\n")
		bw.Write(y)
		bw.Write(chroma)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserAdminAppointments makes an appointment on the admin page,
// sees it listed for today with its code, checks the page with axe and
// cancels it.
func TestBrowserAdminAppointments(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowser(t)
	ds := startInProcess(t, apptEnv, true)
	const visitor = "画面 四郎"
	now := time.Now().Add(2 * time.Minute)
	do(t, ctx, "sign in", chromedp.Navigate(ds.base+"/admin"), chromedp.SendKeys(chromedp.CSS("#token"), testAdminToken),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/demo"]`)))
	do(t, ctx, "the appointments page", chromedp.Navigate(ds.base+"/admin/demo"), chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/demo/appointments"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/demo/appointments"]`)), chromedp.WaitVisible(chromedp.CSS("#appt-form")))
	if got := text(t, ctx, "#appts-today"); !strings.Contains(got, "本日の予約はありません") {
		t.Errorf("today's appointments before any: %q", got)
	}
	do(t, ctx, "fill in and submit the form",
		evalTrue(fmt.Sprintf(`document.getElementById("appt-date").value = %q; document.getElementById("appt-time").value = %q; true`,
			now.Format(time.DateOnly), now.Format("15:04"))),
		chromedp.Click(chromedp.CSS(`input[name="hosts"][value="sato"]`)),
		chromedp.SendKeys(chromedp.CSS("#appt-company"), "テスト商事"),
		chromedp.SendKeys(chromedp.CSS("#appt-name"), visitor),
		chromedp.SendKeys(chromedp.CSS("#appt-room"), "第2会議室"),
		chromedp.Click(chromedp.CSS("#appt-save")),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	row := text(t, ctx, "#appts-today tbody tr")
	for _, want := range []string{visitor, "テスト商事", "佐藤 花子", "第2会議室", "予定"} {
		if !strings.Contains(row, want) {
			t.Errorf("today's row %q lacks %q", row, want)
		}
	}
	code := text(t, ctx, "#appts-today code.code")
	if len(code) != 6 {
		t.Errorf("the row's code = %q", code)
	}
	axeCheck(t, ctx, "admin appointments", src)
	screenshot(t, ctx, "admin-appointments")
	do(t, ctx, "change the room", chromedp.Click(chromedp.CSS(`#appts-today a[href^="?edit="]`)),
		chromedp.WaitReady(chromedp.CSS(`#appt-form input[name="id"]`)),
		waitTrue(`document.getElementById("appt-name").value === `+fmt.Sprintf("%q", visitor)),
		evalTrue(`document.getElementById("appt-room").value = "大会議室"; true`),
		chromedp.Click(chromedp.CSS("#appt-save")), chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, "#appts-today tbody tr"); !strings.Contains(got, "大会議室") || !strings.Contains(got, code) {
		t.Errorf("after the change, the row says %q (code %s)", got, code)
	}
	do(t, ctx, "a form without a host is refused", chromedp.SendKeys(chromedp.CSS("#appt-name"), "誰か"),
		evalTrue(fmt.Sprintf(`document.getElementById("appt-time").value = %q; true`, now.Format("15:04"))),
		chromedp.Click(chromedp.CSS("#appt-save")), chromedp.WaitVisible(chromedp.CSS("#appt-error")))
	if got := text(t, ctx, "fieldset .field-error"); got == "" {
		t.Errorf("no message at the hosts")
	}
	axeCheck(t, ctx, "admin appointments, form refused", src)
	do(t, ctx, "cancel it", chromedp.Navigate(ds.base+"/admin/demo/appointments"), chromedp.WaitVisible(chromedp.CSS("#appts-today tbody tr")),
		evalTrue(`window.confirm = () => true; true`),
		chromedp.Click(chromedp.CSS(`#appts-today button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if got := text(t, ctx, "#appts-today tbody tr"); !strings.Contains(got, "取消") || strings.Contains(got, "変更") {
		t.Errorf("after cancelling, the row says %q", got)
	}

	// A visit made with a code shows its appointment on the visits page.
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"yamada"}, Visitors: []app.AppointmentVisitor{{Name: "履歴 五郎"}}, Title: "面接", StartsAt: soon()})
	if status, _ := jsonCall(t, "POST", ds.base+"/api/v1/orgs/demo/checkins", testAdminToken, app.CheckInInput{Code: ap.Code}, nil); status != 201 {
		t.Fatalf("check-in with the code = %d", status)
	}
	do(t, ctx, "the visits page", chromedp.Navigate(ds.base+"/admin/demo/visits"), chromedp.WaitVisible(chromedp.CSS("#visits")))
	if got := text(t, ctx, "#visits tbody"); !strings.Contains(got, "来客予約: 面接") || !strings.Contains(got, "履歴 五郎") || !strings.Contains(got, "山田 太郎") {
		t.Errorf("the visits page shows %q", got)
	}
	axeCheck(t, ctx, "admin visits with an appointment", src)
}

// TestBrowserAppointmentAccessibility: the code page in every kiosk
// language, with an error, and the start screen's entry, have no WCAG 2.1
// A/AA violations and 44-px touch targets.
func TestBrowserAppointmentAccessibility(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowser(t)
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	enrolKiosk(t, ctx, ds.kiosk)
	for _, lang := range app.KioskLanguages {
		do(t, ctx, "code page "+lang, codePage(ds.base, lang))
		axeCheck(t, ctx, "code page "+lang, src)
		checkTargets(t, ctx, "code page "+lang)
	}
	do(t, ctx, "a wrong code", pressKeys("000001"), chromedp.Click(chromedp.CSS("#code-submit")), chromedp.WaitVisible(chromedp.CSS("#code-error")))
	axeCheck(t, ctx, "code page, wrong code", src)
	checkTargets(t, ctx, "code page, wrong code")
	do(t, ctx, "the start screen", chromedp.Navigate(ds.base+"/kiosk/demo"), chromedp.WaitVisible(chromedp.CSS("#appt-link")))
	checkTargets(t, ctx, "kiosk start with the appointment entry")
}
