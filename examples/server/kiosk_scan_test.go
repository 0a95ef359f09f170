package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// The kiosk's code entry without a browser: the scan endpoint decoding
// real PNG frames, and the code form posted as a plain form (a kiosk
// without JavaScript), over HTTP on loopback.

// qrPNG is a PNG of a QR code of text on a white frame, as a camera
// would see it (the code in the middle of a larger picture).
func qrPNG(t *testing.T, text string) []byte {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 240, 240, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 480, 360))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(120, 60, 360, 300), m, image.Point{}, draw.Src)
	return encodePNG(t, img)
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// kioskClient enrols a cookie-keeping client as a kiosk and returns it
// with the code page's CSRF token.
func kioskClient(t *testing.T, ds *demoServer) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(ds.kiosk)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(ds.base + "/kiosk/demo/code")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("code page = %d without a CSRF token:\n%s", resp.StatusCode, page)
	}
	return c, string(m[1])
}

func TestKioskScan(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	c, csrf := kioskClient(t, ds)
	scan := func(body []byte, token string) (int, scanAnswer) {
		t.Helper()
		req, _ := http.NewRequest("POST", ds.base+"/kiosk/demo/scan?lang=en", bytes.NewReader(body))
		req.Header.Set("Content-Type", "image/png")
		if token != "" {
			req.Header.Set("X-Uketsuke-CSRF", token)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out scanAnswer
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	blank := encodePNG(t, image.NewGray(image.Rect(0, 0, 320, 240)))
	for _, tc := range []struct {
		name   string
		body   []byte
		token  string
		status int
		want   scanAnswer
	}{
		{"a QR code of a reception code", qrPNG(t, "482913"), csrf, http.StatusOK, scanAnswer{Code: "482913"}},
		{"a frame without a QR code", blank, csrf, http.StatusOK, scanAnswer{}},
		{"a QR code of something else", qrPNG(t, "https://example.com/"), csrf, http.StatusOK, scanAnswer{Error: "The QR code is not a reception code. Please type the code."}},
		{"not an image", []byte("hello"), csrf, http.StatusBadRequest, scanAnswer{}},
		{"no CSRF token", qrPNG(t, "482913"), "", http.StatusForbidden, scanAnswer{}},
	} {
		if status, got := scan(tc.body, tc.token); status != tc.status || got != tc.want {
			t.Errorf("%s: %d %+v, want %d %+v", tc.name, status, got, tc.status, tc.want)
		}
	}
	// Another browser, not enrolled as a kiosk, cannot use it.
	resp, err := http.Post(ds.base+"/kiosk/demo/scan", "image/png", bytes.NewReader(qrPNG(t, "482913")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("scan without the kiosk cookie = %d", resp.StatusCode)
	}
}

type scanAnswer struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// TestKioskCodeForm posts the code form as a kiosk without JavaScript
// would: full-width digits with a space are read, the completion screen
// follows, and the used code is refused in the page's language.
func TestKioskCodeForm(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	c, csrf := kioskClient(t, ds)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ap := createAppt(t, ds.base, app.AppointmentInput{Hosts: []string{"suzuki"}, Visitors: []app.AppointmentVisitor{{Company: "フォーム工業"}}, StartsAt: soon()})
	wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, ap.Code[:3]) + " " + ap.Code[3:]
	post := func(code, lang string) (int, string, string) {
		t.Helper()
		resp, err := c.PostForm(ds.base+"/kiosk/demo/code", url.Values{"csrf": {csrf}, "lang": {lang}, "code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(body)
	}
	if status, loc, body := post(wide, "ko"); status != http.StatusSeeOther || loc != "/kiosk/demo/done?lang=ko" {
		t.Fatalf("code %q = %d → %q\n%s", wide, status, loc, body)
	}
	if status, _, body := post(ap.Code, "ko"); status != http.StatusConflict || !strings.Contains(body, "이미 사용되었습니다") || !strings.Contains(body, `<html lang="ko">`) {
		t.Errorf("the used code again = %d\n%s", status, body)
	}
	if status, _, body := post("12", "ja"); status != http.StatusUnprocessableEntity || !strings.Contains(body, "6桁の番号を入力してください") {
		t.Errorf("a short code = %d\n%s", status, body)
	}
	if status, _, _ := post(ap.Code, "ja"); status != http.StatusConflict {
		t.Errorf("status = %d", status)
	}
	resp, err := c.PostForm(ds.base+"/kiosk/demo/code", url.Values{"csrf": {"forged"}, "code": {ap.Code}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged CSRF token = %d", resp.StatusCode)
	}
}

// TestKioskScanLimitPerTablet: camera frames are limited per tablet, so a
// tablet sending too many frames is slowed down (429 with Retry-After)
// while another tablet of the same organization scans on.
func TestKioskScanLimitPerTablet(t *testing.T) {
	ds := startInProcess(t, apptEnv, true)
	ds.kiosk = strings.Replace(ds.kiosk, "localhost", "127.0.0.1", 1)
	post := func(c *http.Client, csrf string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", ds.base+"/kiosk/demo/scan", bytes.NewReader(body))
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("X-Uketsuke-CSRF", csrf)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	a, csrfA := kioskClient(t, ds)
	b, csrfB := kioskClient(t, ds)
	// Frames that are not images cost the server nothing to refuse, so
	// these arrive far faster than the tablet's rate refills its burst.
	limited := false
	for range 40 {
		if resp := post(a, csrfA, []byte("not a frame")); resp.StatusCode == http.StatusTooManyRequests {
			limited = resp.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Fatal("40 frames in a row from one tablet were never limited (429 with Retry-After)")
	}
	if resp := post(b, csrfB, qrPNG(t, "482913")); resp.StatusCode != http.StatusOK {
		t.Errorf("another tablet's frame = %d, want 200: one tablet's frames slowed another", resp.StatusCode)
	}
}
