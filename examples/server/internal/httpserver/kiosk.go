package httpserver

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The kiosk: the page a visitor uses on the reception tablet. Opening
// /kiosk/{org}?token=<kiosk token> once stores the token in an HttpOnly
// cookie and redirects to /kiosk/{org}, which the tablet can bookmark.
// Check-ins are a form POST to the same URL, answered with a redirect to
// the completion screen, which returns to the start after a few seconds.

const (
	kioskCookie    = "uk_kiosk"
	kioskCookieAge = 400 * 24 * time.Hour // the longest browsers keep a cookie
	kioskReturn    = 8                    // seconds on the completion screen
)

var (
	kioskTmpl     = pageTemplate("kiosk.html")
	kioskDoneTmpl = pageTemplate("kiosk_done.html")
	messageTmpl   = pageTemplate("message.html")
)

// kioskText is the kiosk's wording in Japanese and English.
var kioskText = map[string]map[string]string{
	"ja": {
		"welcome": "いらっしゃいませ", "lead": "ご用件のボタンを押してください。担当者に通知します。",
		"name": "お名前", "company": "会社名", "count": "人数", "optional": "任意",
		"staff": "担当者を指定する", "staffSearch": "お名前で検索", "staffNone": "指定しない",
		"staffNoMatch": "該当する担当者がいません", "done": "担当者に通知しました。少々お待ちください",
		"doneSub": "このままお待ちください。まもなく担当者がまいります。", "back": "最初の画面に戻る",
		"returning": "秒後に最初の画面に戻ります", "other": "English", "error": "受付できませんでした。もう一度お試しください。",
		"details":     "お名前などをご記入ください（任意）",
		"unavailable": "受付を記録しましたが、担当者に通知できませんでした", "unavailableLead": "ただいま担当者に通知できません",
	},
	"en": {
		"welcome": "Welcome", "lead": "Please tap the reason for your visit. We will notify the staff.",
		"name": "Name", "company": "Company", "count": "Party size", "optional": "optional",
		"staff": "Visiting someone?", "staffSearch": "Search by name", "staffNone": "No one in particular",
		"staffNoMatch": "No matching staff", "done": "We have notified the staff. Please wait a moment.",
		"doneSub": "Someone will be with you shortly.", "back": "Back to start",
		"returning": "seconds until the start screen", "other": "日本語", "error": "The check-in failed. Please try again.",
		"details":     "Your name and company (optional)",
		"unavailable": "Your visit is recorded, but we could not notify the staff", "unavailableLead": "We cannot notify the staff right now",
	},
}

func kioskLang(r *http.Request) string {
	l := r.FormValue("lang")
	if l == "" {
		l = r.URL.Query().Get("lang")
	}
	if l == "en" {
		return "en"
	}
	return "ja"
}

func (p *pages) registerKiosk(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /kiosk/{org}", p.kiosk)
	handle("POST /kiosk/{org}", p.kioskCheckIn)
	handle("GET /kiosk/{org}/done", p.kioskDone)
}

// kioskCSRF is the kiosk form's CSRF token. It is derived from the kiosk
// token (which another site cannot know), so it survives restarts and
// works across replicas: a tablet left open for days still checks in.
func kioskCSRF(org, token string) string {
	return mac(token, "uketsuke kiosk form", org)
}

// kioskOrg returns the organization when the request presents its kiosk
// token in the cookie; otherwise it has answered the request.
func (p *pages) kioskOrg(w http.ResponseWriter, r *http.Request) (*reception.Organization, string, bool) {
	id := r.PathValue("org")
	org, err := p.app.Store.GetOrganization(r.Context(), id)
	if err != nil && !errors.Is(err, reception.ErrNotFound) {
		p.log.Error("kiosk: reading the organization", "org", id, "err", err)
		p.message(w, http.StatusServiceUnavailable, "ただいま受付できません", "The reception is unavailable; please call the staff.", "")
		return nil, "", false
	}
	c, cerr := r.Cookie(kioskCookie)
	if err != nil || cerr != nil || org.KioskToken == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(org.KioskToken)) != 1 ||
		!p.guard.kioskAllowed(r.Context(), org.ID) {
		p.message(w, http.StatusUnauthorized, "このタブレットは受付用に設定されていません",
			"管理画面に表示されるキオスクURLをこのタブレットで一度開いてください。 / Open the kiosk URL shown on the admin page on this tablet once; it remembers the kiosk token.", "")
		return nil, "", false
	}
	return org, c.Value, true
}

type kioskButton struct{ ID, Label string }

type kioskStaff struct{ ID, Name string }

type kioskData struct {
	layoutData
	Org, CSRF, Error string
	T                map[string]string
	Buttons          []kioskButton
	Staff            []kioskStaff
	OtherLang        string
	Form             url.Values
	// Fallback, when set, replaces the promise to notify staff: the
	// organization cannot deliver now.
	Fallback string
}

func (p *pages) kiosk(w http.ResponseWriter, r *http.Request) {
	if tok := r.URL.Query().Get("token"); tok != "" {
		p.kioskEnroll(w, r, tok)
		return
	}
	org, token, ok := p.kioskOrg(w, r)
	if !ok {
		return
	}
	p.kioskPage(w, r, http.StatusOK, org, token, "", nil)
}

// kioskEnroll checks ?token= and keeps it in the cookie, then redirects to
// the URL without it so it stays out of the address bar.
func (p *pages) kioskEnroll(w http.ResponseWriter, r *http.Request, tok string) {
	id := r.PathValue("org")
	if !p.guard.waitTurn(w, r, p.tooManyGuesses) {
		return
	}
	org, err := p.app.Store.GetOrganization(r.Context(), id)
	ok := err == nil && org.KioskToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(org.KioskToken)) == 1
	p.guard.guessed(r, ok)
	if !ok || !p.guard.kioskAllowed(r.Context(), org.ID) {
		p.message(w, http.StatusForbidden, "キオスクトークンが正しくありません",
			"The kiosk token in this URL is wrong or was replaced. Copy the current kiosk URL from the admin page.", "")
		return
	}
	setCookie(w, r, kioskCookie, org.KioskToken, "/kiosk/"+org.ID, kioskCookieAge, http.SameSiteLaxMode)
	target := "/kiosk/" + url.PathEscape(org.ID)
	if kioskLang(r) == "en" {
		target += "?lang=en"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (p *pages) kioskPage(w http.ResponseWriter, r *http.Request, status int, org *reception.Organization, token, errMsg string, form url.Values) {
	lang := kioskLang(r)
	ctx := r.Context()
	buttons, err := p.app.Store.ListButtons(ctx, org.ID)
	if err != nil {
		p.log.Error("kiosk: listing buttons", "org", org.ID, "err", err)
		p.message(w, http.StatusServiceUnavailable, "ただいま受付できません", "The reception is unavailable; please call the staff.", "")
		return
	}
	d := kioskData{
		layoutData: layoutData{Title: org.Name, Lang: lang, BodyClass: "kiosk", Scripts: []string{"/static/kiosk.js"}, OrgID: org.ID},
		Org:        org.Name, CSRF: kioskCSRF(org.ID, token), Error: errMsg, T: kioskText[lang], Form: form,
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	if h, err := p.app.Notify.Health(ctx, org.ID); err != nil || !h.CanDeliver() {
		d.Fallback = org.KioskFallbackText()
	}
	d.OtherLang = "?lang=en"
	if lang == "en" {
		d.OtherLang = "?lang=ja"
	}
	for _, b := range buttons {
		if !b.Enabled {
			continue
		}
		label := b.Label
		if l := b.Labels[lang]; l != "" && lang != "ja" {
			label = l
		}
		d.Buttons = append(d.Buttons, kioskButton{ID: b.ID, Label: label})
	}
	if staff, err := p.app.Store.ListStaff(ctx, org.ID); err == nil {
		for _, s := range staff {
			if s.Active {
				d.Staff = append(d.Staff, kioskStaff{ID: s.ID, Name: s.Name})
			}
		}
	}
	p.render(w, status, kioskTmpl, d)
}

func (p *pages) kioskCheckIn(w http.ResponseWriter, r *http.Request) {
	if err := limitForm(w, r, 16<<10); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	org, token, ok := p.kioskOrg(w, r)
	if !ok {
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(kioskCSRF(org.ID, token))) != 1 {
		p.message(w, http.StatusForbidden, "操作を受け付けられませんでした", "CSRF check failed; reload the kiosk page.", "/kiosk/"+org.ID)
		return
	}
	done, wait, ok := p.guard.admitCheckIn(r, org.ID)
	if !ok {
		retryAfter(w, wait)
		p.message(w, http.StatusTooManyRequests, "ただいま受付が混み合っています",
			"少し時間をおいてから、もう一度お試しください。お急ぎの方は、お近くの係員にお声がけください。 / "+
				"The reception is busy right now. Please try again in a moment, or ask a member of staff nearby.", "/kiosk/"+url.PathEscape(org.ID))
		return
	}
	lang := kioskLang(r)
	count := 0
	if c := strings.TrimSpace(r.PostFormValue("count")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			p.kioskPage(w, r, http.StatusBadRequest, org, token, kioskText[lang]["count"]+": "+c, r.PostForm)
			return
		}
		count = n
	}
	in := app.CheckInInput{ButtonID: r.PostFormValue("buttonId"), StaffID: r.PostFormValue("staffId"),
		Visitor: app.Visitor{Name: strings.TrimSpace(r.PostFormValue("name")), Company: strings.TrimSpace(r.PostFormValue("company")), Count: count}}
	out, err := p.app.CheckIn(r.Context(), org.ID, in)
	done(err == nil)
	if err != nil {
		msg, _ := formError(r, err)
		p.log.Warn("kiosk: check-in refused", "org", org.ID, "err", msg)
		p.kioskPage(w, r, http.StatusBadRequest, org, token, kioskText[lang]["error"]+" ("+msg+")", r.PostForm)
		return
	}
	q := url.Values{}
	if lang == "en" {
		q.Set("lang", "en")
	}
	if out.Delivery != app.DeliveryQueued {
		// Anything but a clear "queued" shows the fallback: the kiosk never
		// claims staff were notified when that is not known.
		q.Set("delivery", app.DeliveryUnavailable)
	}
	target := "/kiosk/" + url.PathEscape(org.ID) + "/done"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type kioskDoneData struct {
	layoutData
	Org, Back string
	T         map[string]string
	Seconds   int
	// Fallback is set when the check-in was stored but staff cannot be
	// notified: the page shows it instead of 「担当者に通知しました」.
	Fallback string
}

func (p *pages) kioskDone(w http.ResponseWriter, r *http.Request) {
	org, _, ok := p.kioskOrg(w, r)
	if !ok {
		return
	}
	lang := kioskLang(r)
	back := "/kiosk/" + url.PathEscape(org.ID)
	if lang == "en" {
		back += "?lang=en"
	}
	d := kioskDoneData{
		layoutData: layoutData{Title: org.Name, Lang: lang, BodyClass: "kiosk", Refresh: strconv.Itoa(kioskReturn) + ";url=" + back, Scripts: []string{"/static/kiosk.js"}},
		Org:        org.Name, Back: back, T: kioskText[lang], Seconds: kioskReturn,
	}
	if r.URL.Query().Get("delivery") == app.DeliveryUnavailable {
		d.Fallback = org.KioskFallbackText()
		// The visitor needs time to read the fallback and act on it.
		d.Seconds *= 3
		d.Refresh = strconv.Itoa(d.Seconds) + ";url=" + back
	}
	p.render(w, http.StatusOK, kioskDoneTmpl, d)
}

// layoutData is what layout.html needs from every page.
type layoutData struct {
	Title, Lang, BodyClass, Refresh string
	Scripts                         []string
	// Admin pages: the session's CSRF token, the organization and the tab.
	Admin   bool
	CSRF    string
	OrgID   string
	OrgName string
	Tab     string
	Notice  string
	Alert   string
}

type messageData struct {
	layoutData
	Heading, Detail, Link string
}

// message is a page with one message, for errors and refusals.
func (p *pages) message(w http.ResponseWriter, status int, heading, detail, link string) {
	p.render(w, status, messageTmpl, messageData{layoutData: layoutData{Title: heading}, Heading: heading, Detail: detail, Link: link})
}

// tooManyGuesses answers a token check refused by the back-off.
func (p *pages) tooManyGuesses(w http.ResponseWriter, r *http.Request, _ time.Duration) {
	p.message(w, http.StatusTooManyRequests, "しばらくしてからもう一度お試しください",
		"Too many wrong tokens came from this address. Wait for the time in Retry-After and try again.", "")
}
