package main

import (
	"bytes"
	"image"
	_ "image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// TestBrowserDemoShowsQR: the demo's talk room shows the host's QR code
// message as the picture (not "[image]"), with an alt text naming it, and
// the picture is the appointment's code.
func TestBrowserDemoShowsQR(t *testing.T) {
	ctx := newBrowser(t)
	ds := startInProcess(t, apptEnv, true)
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"sato"}, Visitors: []app.AppointmentVisitor{{Company: "画像商事"}}, StartsAt: soon()})
	do(t, ctx, "the demo page", chromedp.Navigate(ds.base+"/demo"),
		waitTrue(`(() => { const i = document.querySelector("#feed img.qr"); return !!i && i.complete && i.naturalWidth > 0; })()`))
	if got := text(t, ctx, "#feed"); strings.Contains(got, "[image]") {
		t.Errorf("the feed shows [image]: %q", got)
	}
	src, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#feed img.qr").src`))
	if err != nil {
		t.Fatal(err)
	}
	alt, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#feed img.qr").alt`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(alt, "QRコード") || !strings.Contains(alt, "reception code") {
		t.Errorf("the QR image's alt = %q", alt)
	}
	resp, err := http.Get(src)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("GET %s = %d %s: %v", src, resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil || !strings.Contains(res.GetText(), ap.Code) {
		t.Errorf("the QR image reads %v (%v), want the code %s", res, err, ap.Code)
	}
}
