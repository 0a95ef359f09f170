package httpserver

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"image"
	_ "image/jpeg" // camera frames
	_ "image/png"  // camera frames
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The kiosk's appointment entry: a visitor with an appointment opens
// /kiosk/{org}/code from the start screen (「予約のある方」), types the
// reception code on a large keypad or shows its QR code to the tablet's
// camera, and posts it to the same URL. kiosk_code.js sends camera frames
// to /kiosk/{org}/scan, which decodes them here (the browser needs no QR
// library) and answers the code; the page then posts it as if typed.
// Without a camera, permission or JavaScript the keypad (or the tablet's
// own keyboard) is the way in.
//
// Unknown codes count against the kiosk's wrong-code limit (guard.codes):
// once it is spent, codes are refused until it refills, which makes
// guessing a live code impractical.

var kioskCodeTmpl = pageTemplate("kiosk_code.html", "kiosk_parts.html")

// Bounds of a camera frame posted to /scan.
const (
	maxScanBody   = 4 << 20
	maxScanPixels = 4_000_000
)

// scanCSRFHeader carries the kiosk form's CSRF token on a frame post.
const scanCSRFHeader = "X-Uketsuke-CSRF"

func (p *pages) registerKioskCode(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /kiosk/{org}/code", p.kioskCode)
	handle("POST /kiosk/{org}/code", p.kioskCodeCheckIn)
	handle("POST /kiosk/{org}/scan", p.kioskScan)
}

type kioskCodeData struct {
	layoutData
	Org, CSRF, Error, Back string
	T                      map[string]string
	Langs                  []kioskLink
}

func (p *pages) kioskCode(w http.ResponseWriter, r *http.Request) {
	org, token, ok := p.kioskOrg(w, r)
	if !ok {
		return
	}
	p.kioskDevice(w, r, org.ID)
	p.kioskCodePage(w, r, http.StatusOK, org, token, "")
}

func (p *pages) kioskCodePage(w http.ResponseWriter, r *http.Request, status int, org *reception.Organization, token, errMsg string) {
	lang := kioskLang(r)
	t := kioskText[lang]
	d := kioskCodeData{
		layoutData: layoutData{Title: t["codeTitle"] + " — " + org.Name, Lang: lang, BodyClass: "kiosk", Scripts: []string{"/static/kiosk_code.js"}, OrgID: org.ID},
		Org:        org.Name, CSRF: kioskCSRF(org.ID, token), Error: errMsg, T: t, Langs: kioskLangs(lang),
		Back: "/kiosk/" + url.PathEscape(org.ID) + langQuery(lang),
	}
	p.render(w, status, kioskCodeTmpl, d)
}

// kioskCodeCheckIn checks a visitor in with a reception code: typed, or
// read from a QR code by /scan.
func (p *pages) kioskCodeCheckIn(w http.ResponseWriter, r *http.Request) {
	org, token, ok := p.kioskForm(w, r)
	if !ok {
		return
	}
	lang := kioskLang(r)
	t := kioskText[lang]
	code := normalizeCode(r.PostFormValue("code"))
	if !reception.ValidCode(code) {
		p.kioskCodePage(w, r, http.StatusUnprocessableEntity, org, token, t["codeShort"])
		return
	}
	key := codeKey(org.ID, "tablet", p.kioskDevice(w, r, org.ID))
	if wait, ok := p.guard.codeAllowed(org.ID, key); !ok {
		retryAfter(w, wait)
		p.kioskCodePage(w, r, http.StatusTooManyRequests, org, token, t["codeLimited"])
		return
	}
	done, wait, ok := p.guard.admitCheckIn(r, org.ID)
	if !ok {
		// The check-in limit, not wrong codes: say so.
		retryAfter(w, wait)
		p.kioskCodePage(w, r, http.StatusTooManyRequests, org, token, t["codeBusy"])
		return
	}
	out, err := p.app.CheckIn(r.Context(), org.ID, app.CheckInInput{Code: code, Language: lang})
	done(err == nil)
	if err != nil {
		ref := p.codeRefusal(r, org.ID, key, lang, err)
		p.log.Warn("kiosk: code check-in refused", "org", org.ID, "reason", ref.Reason)
		p.kioskCodePage(w, r, ref.Status, org, token, ref.Message)
		return
	}
	http.Redirect(w, r, kioskDoneURL(org.ID, lang, out), http.StatusSeeOther)
}

// kioskDoneURL is the completion screen of a check-in.
func kioskDoneURL(orgID, lang string, out *app.CheckInResult) string {
	q := url.Values{}
	if lang != app.KioskLanguages[0] {
		q.Set("lang", lang)
	}
	if out.Delivery != app.DeliveryQueued {
		// Anything but a clear "queued" shows the fallback: the kiosk never
		// claims staff were notified when that is not known.
		q.Set("delivery", app.DeliveryUnavailable)
	}
	target := "/kiosk/" + url.PathEscape(orgID) + "/done"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	return target
}

// codeRefusal is how a refused code check-in is answered: the HTTP
// status, a reason for programs and a message for the visitor in lang.
type codeRefusal struct {
	Status  int
	Reason  string
	Message string
}

// Reasons of a codeRefusal besides reception's CodeReasons.
const (
	codeUnknown   = "unknown"
	codeLimited   = "rate_limited"
	codeMalformed = "malformed"
)

// kioskDeviceCookie names one tablet among the kiosks sharing an
// organization's kiosk token, for the wrong-code limit.
const kioskDeviceCookie = "uk_kiosk_device"

// kioskDevice is the tablet's device ID, made (and remembered in a
// cookie) on its first visit to the code page.
func (p *pages) kioskDevice(w http.ResponseWriter, r *http.Request, orgID string) string {
	if c, err := r.Cookie(kioskDeviceCookie); err == nil && len(c.Value) >= 16 && len(c.Value) <= 64 && reception.ValidID(c.Value) {
		return c.Value
	}
	id := app.NewToken(16)
	setCookie(w, r, kioskDeviceCookie, id, "/kiosk/"+orgID, kioskCookieAge, http.SameSiteLaxMode)
	return id
}

// codeRefusal explains err, the answer to a check-in with a code, and
// counts an unknown code against the kiosk key's wrong-code limit.
func (p *pages) codeRefusal(r *http.Request, orgID, key, lang string, err error) codeRefusal {
	ref, ok := codeRefusalOf(err, lang, p.app.Loc)
	if !ok {
		msg, _ := formError(r, err)
		return codeRefusal{Status: apiErrorOf(r, err).Status, Message: kioskText[lang]["error"] + " (" + msg + ")"}
	}
	if ref.Reason == codeUnknown {
		p.guard.wrongCode(orgID, key)
	}
	return ref
}

// codeRefusalOf explains the errors a code check-in has for the visitor;
// false for any other error.
func codeRefusalOf(err error, lang string, loc *time.Location) (codeRefusal, bool) {
	t := kioskText[lang]
	var ce *reception.CodeError
	switch {
	case errors.As(err, &ce):
		msg := map[reception.CodeReason]string{reception.CodeExpired: t["codeExpired"], reception.CodeCancelled: t["codeCancelled"],
			reception.CodeUsed: t["codeUsed"], reception.CodeNotYetValid: t["codeNotYet"]}[ce.Reason]
		if msg == "" {
			msg = t["codeExpired"]
		}
		msg = strings.ReplaceAll(msg, "{date}", ce.ValidFrom.In(loc).Format("2006-01-02 15:04"))
		return codeRefusal{Status: http.StatusConflict, Reason: string(ce.Reason), Message: msg}, true
	case isUnknownCode(err):
		return codeRefusal{Status: http.StatusNotFound, Reason: codeUnknown, Message: t["codeUnknown"]}, true
	}
	return codeRefusal{}, false
}

// normalizeCode reads a typed code: full-width digits become ASCII, and
// spaces and hyphens ("123 456", "123-456") are dropped.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '０' && c <= '９':
			b.WriteRune('0' + c - '０')
		case c == ' ' || c == '\u3000' || c == '-' || c == 'ー' || c == '－' || c == '\t':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// scanJSON answers a camera frame: the code it shows, nothing (keep
// scanning), or why the QR code it shows is no use.
type scanJSON struct {
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// kioskScan decodes a camera frame (PNG or JPEG) and answers the reception
// code of the QR code in it.
func (p *pages) kioskScan(w http.ResponseWriter, r *http.Request) {
	org, token, ok := p.kioskOrg(w, r)
	if !ok {
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(scanCSRFHeader)), []byte(kioskCSRF(org.ID, token))) != 1 {
		http.Error(w, "CSRF check failed; reload the kiosk page", http.StatusForbidden)
		return
	}
	if wait, ok := p.guard.scanAllowed(org.ID, codeKey(org.ID, "tablet", p.kioskDevice(w, r, org.ID))); !ok {
		retryAfter(w, wait)
		http.Error(w, "too many frames; slow down", http.StatusTooManyRequests)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxScanBody))
	if err != nil {
		http.Error(w, "the frame is too large", http.StatusRequestEntityTooLarge)
		return
	}
	text, err := decodeQR(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out scanJSON
	if text != "" {
		if code := normalizeCode(strings.TrimSpace(text)); reception.ValidCode(code) {
			out.Code = code
		} else {
			out.Error = kioskText[kioskLang(r)]["codeNotQR"]
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// decodeQR returns the text of the QR code in a PNG or JPEG image, "" when
// the image shows none; an error when it is not an image it can read.
func decodeQR(data []byte) (string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", errors.New("the frame is not a PNG or JPEG image")
	}
	if cfg.Width*cfg.Height > maxScanPixels {
		return "", errors.New("the frame has too many pixels")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", errors.New("the frame is not a PNG or JPEG image")
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", nil
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", nil // no QR code in this frame
	}
	return res.GetText(), nil
}
