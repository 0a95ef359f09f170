package httpserver

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
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
// the completion screen (or, from kiosk.js, with JSON naming it), which
// returns to the start after p.kioskReturn or when tapped.
//
// The visitor picks one of app.KioskLanguages with ?lang=; the completion
// screen's way back drops it, so the next visitor starts in the default.

const (
	kioskCookie    = "uk_kiosk"
	kioskCookieAge = 400 * 24 * time.Hour // the longest browsers keep a cookie
)

var (
	kioskTmpl     = pageTemplate("kiosk.html", "kiosk_parts.html")
	kioskDoneTmpl = pageTemplate("kiosk_done.html", "kiosk_parts.html")
	messageTmpl   = pageTemplate("message.html")
)

// kioskLang is the kiosk language a request asks for, or the kiosk's
// default (the first of app.KioskLanguages).
func kioskLang(r *http.Request) string {
	l := r.FormValue("lang")
	if l == "" {
		l = r.URL.Query().Get("lang")
	}
	if slices.Contains(app.KioskLanguages, l) {
		return l
	}
	return app.KioskLanguages[0]
}

// langQuery is "?lang=<lang>", or "" for the default language.
func langQuery(lang string) string {
	if lang == app.KioskLanguages[0] {
		return ""
	}
	return "?lang=" + url.QueryEscape(lang)
}

func (p *pages) registerKiosk(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /kiosk/{org}", p.kiosk)
	handle("POST /kiosk/{org}", p.kioskCheckIn)
	handle("GET /kiosk/{org}/done", p.kioskDone)
	p.registerKioskCode(handle)
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
	if err != nil || cerr != nil || !reception.KioskTokenMatches(org.KioskToken, c.Value) ||
		!p.guard.kioskAllowed(r.Context(), org.ID) {
		p.message(w, http.StatusUnauthorized, "このタブレットは受付用に設定されていません",
			"管理画面に表示されるキオスクURLをこのタブレットで一度開いてください。 / Open the kiosk URL shown on the admin page on this tablet once; it remembers the kiosk token.", "")
		return nil, "", false
	}
	return org, c.Value, true
}

type kioskButton struct{ ID, Label string }

type kioskStaff struct{ ID, Name string }

// kioskLink is one language in the kiosk's language switch.
type kioskLink struct {
	Lang, Name, Href string
	Current          bool
}

type kioskData struct {
	layoutData
	Org, CSRF, Error, Welcome string
	// Appointment is the code entry page in this language.
	Appointment string
	T           map[string]string
	Buttons     []kioskButton
	Staff       []kioskStaff
	Langs       []kioskLink
	Form        url.Values
	// Fallback, when set, replaces the promise to notify staff: the
	// organization cannot deliver now.
	Fallback string
	// OfflineFallback is what kiosk.js shows when it cannot reach the
	// server: the organization's fallback instruction in this language.
	OfflineFallback string
	// Back is the start screen in the default language, where kiosk.js
	// returns after a check-in it kept offline; Return is how many
	// seconds it waits first (0: until tapped).
	Back   string
	Return int
	// DetailsOpen unfolds the optional fields: the form came back with
	// some of them filled.
	DetailsOpen bool
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

func (p *pages) kioskEnroll(w http.ResponseWriter, r *http.Request, tok string) {
	id := r.PathValue("org")
	if !p.guard.waitTurn(w, r, p.tooManyGuesses) {
		return
	}
	org, err := p.app.Store.GetOrganization(r.Context(), id)
	ok := err == nil && reception.KioskTokenMatches(org.KioskToken, tok)
	p.guard.guessed(r, ok)
	if !ok || !p.guard.kioskAllowed(r.Context(), org.ID) {
		p.message(w, http.StatusForbidden, "キオスクトークンが正しくありません",
			"The kiosk token in this URL is wrong or was replaced. Copy the current kiosk URL from the admin page.", "")
		return
	}
	// The token as presented: the store keeps only its hash.
	setCookie(w, r, kioskCookie, tok, "/kiosk/"+org.ID, kioskCookieAge, http.SameSiteLaxMode)
	http.Redirect(w, r, "/kiosk/"+url.PathEscape(org.ID)+langQuery(kioskLang(r)), http.StatusSeeOther)
}

// kioskFallback is the fallback instruction of org in lang.
func (p *pages) kioskFallback(org *reception.Organization, lang string) string {
	def := reception.DefaultKioskFallback // Japanese and English
	if lang != "ja" && lang != "en" {
		def = kioskText[lang]["fallbackDefault"]
	}
	return p.app.KioskFallback(org, lang, def)
}

// kioskLangs is the language switch of a kiosk page in lang.
func kioskLangs(lang string) []kioskLink {
	var links []kioskLink
	for _, l := range app.KioskLanguages {
		href := langQuery(l)
		if href == "" {
			href = "?lang=" + l
		}
		links = append(links, kioskLink{Lang: l, Name: kioskText[l]["langName"], Href: href, Current: l == lang})
	}
	return links
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
	t := kioskText[lang]
	d := kioskData{
		layoutData: layoutData{Title: org.Name, Lang: lang, BodyClass: "kiosk", Scripts: []string{"/static/kiosk.js"}, OrgID: org.ID},
		Org:        org.Name, CSRF: kioskCSRF(org.ID, token), Error: errMsg, T: t, Form: form, Langs: kioskLangs(lang),
		Welcome: cmp.Or(p.app.KioskWelcome(org.ID, lang), t["welcome"]), OfflineFallback: p.kioskFallback(org, lang),
		Back: "/kiosk/" + url.PathEscape(org.ID), Return: int(p.kioskReturn / time.Second),
		Appointment: "/kiosk/" + url.PathEscape(org.ID) + "/code" + langQuery(lang),
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	for _, f := range []string{"name", "company", "count", "staffId"} {
		d.DetailsOpen = d.DetailsOpen || d.Form.Get(f) != ""
	}
	if h, err := p.app.Notify.Health(ctx, org.ID); err != nil || !h.CanDeliver() {
		d.Fallback = d.OfflineFallback
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

// kioskJSON answers kiosk.js (wantsJSON): where to go next, or why the
// check-in was refused. kiosk.js reads the answer itself, so that a
// network drop never leaves the visitor on a browser error page.
func kioskJSON(w http.ResponseWriter, status int, v map[string]string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// kioskForm reads a kiosk page's posted form (bounded), finds the kiosk's
// organization and checks the form's CSRF token; on failure it has
// answered and ok is false.
func (p *pages) kioskForm(w http.ResponseWriter, r *http.Request) (org *reception.Organization, token string, ok bool) {
	if err := limitForm(w, r, 16<<10); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, "", false
	}
	org, token, ok = p.kioskOrg(w, r)
	if !ok {
		return nil, "", false
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(kioskCSRF(org.ID, token))) != 1 {
		p.message(w, http.StatusForbidden, "操作を受け付けられませんでした", "CSRF check failed; reload the kiosk page.", "/kiosk/"+org.ID)
		return nil, "", false
	}
	return org, token, true
}

func (p *pages) kioskCheckIn(w http.ResponseWriter, r *http.Request) {
	org, token, ok := p.kioskForm(w, r)
	if !ok {
		return
	}
	done, wait, ok := p.guard.admitCheckIn(r, org.ID)
	if !ok {
		retryAfter(w, wait)
		const busy = "少し時間をおいてから、もう一度お試しください。お急ぎの方は、お近くの係員にお声がけください。 / " +
			"The reception is busy right now. Please try again in a moment, or ask a member of staff nearby."
		if wantsJSON(r) {
			// kiosk.js shows the error on the start screen; nothing was stored.
			kioskJSON(w, http.StatusTooManyRequests, map[string]string{"error": "ただいま受付が混み合っています。" + busy})
			return
		}
		p.message(w, http.StatusTooManyRequests, "ただいま受付が混み合っています", busy, "/kiosk/"+url.PathEscape(org.ID))
		return
	}
	lang := kioskLang(r)
	in, errMsg := kioskInput(r, lang)
	var out *app.CheckInResult
	if errMsg == "" {
		var err error
		out, err = p.app.CheckIn(r.Context(), org.ID, in)
		done(err == nil)
		if err != nil {
			msg, _ := formError(r, err)
			p.log.Warn("kiosk: check-in refused", "org", org.ID, "err", msg)
			errMsg = kioskText[lang]["error"] + " (" + msg + ")"
		}
	}
	if errMsg != "" {
		if wantsJSON(r) {
			kioskJSON(w, http.StatusBadRequest, map[string]string{"error": errMsg})
			return
		}
		p.kioskPage(w, r, http.StatusBadRequest, org, token, errMsg, r.PostForm)
		return
	}
	q := url.Values{}
	if lang != app.KioskLanguages[0] {
		q.Set("lang", lang)
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
	if wantsJSON(r) {
		kioskJSON(w, http.StatusOK, map[string]string{"done": target, "visitId": out.VisitID})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// kioskInput reads the kiosk form, or says what is wrong with it.
func kioskInput(r *http.Request, lang string) (app.CheckInInput, string) {
	count := 0
	if c := strings.TrimSpace(r.PostFormValue("count")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return app.CheckInInput{}, kioskText[lang]["count"] + ": " + c
		}
		count = n
	}
	// queuedMs is set by kiosk.js on a check-in it kept while offline.
	queued, _ := strconv.ParseInt(r.PostFormValue("queuedMs"), 10, 64)
	return app.CheckInInput{ButtonID: r.PostFormValue("buttonId"), StaffID: r.PostFormValue("staffId"),
		Language: lang, IdempotencyKey: r.PostFormValue("idempotencyKey"), QueuedMS: max(queued, 0),
		Visitor: app.Visitor{Name: strings.TrimSpace(r.PostFormValue("name")), Company: strings.TrimSpace(r.PostFormValue("company")), Count: count}}, ""
}

type kioskDoneData struct {
	layoutData
	Org, Back string
	T         map[string]string
	// Seconds until the screen returns to the start; 0 keeps it until
	// the visitor taps.
	Seconds int
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
	t := kioskText[lang]
	// Back to the start in the default language: the next visitor picks
	// their own.
	back := "/kiosk/" + url.PathEscape(org.ID)
	d := kioskDoneData{
		layoutData: layoutData{Title: t["doneTitle"] + " — " + org.Name, Lang: lang, BodyClass: "kiosk", Scripts: []string{"/static/kiosk.js"}},
		Org:        org.Name, Back: back, T: t, Seconds: int(p.kioskReturn / time.Second),
	}
	if r.URL.Query().Get("delivery") == app.DeliveryUnavailable {
		d.Fallback = p.kioskFallback(org, lang)
		// The visitor needs time to read the fallback and act on it.
		d.Seconds *= 2
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
