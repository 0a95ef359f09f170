package httpserver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
)

// The admin pages. Every page needs a session (sessions.go); every form
// posts the session's CSRF token. Pages read their forms into the use
// cases' inputs and call package app, as the JSON API does, so they
// validate exactly as the API does and show its messages.

var (
	adminLoginTmpl   = pageTemplate("admin_login.html")
	adminOrgsTmpl    = pageTemplate("admin_nav.html", "admin_orgs.html")
	adminOrgTmpl     = pageTemplate("admin_nav.html", "admin_org.html")
	adminRoomsTmpl   = pageTemplate("admin_nav.html", "admin_rooms.html")
	adminButtonsTmpl = pageTemplate("admin_nav.html", "admin_buttons.html")
	adminStaffTmpl   = pageTemplate("admin_nav.html", "admin_staff.html")
	adminVisitsTmpl  = pageTemplate("admin_nav.html", "admin_visits.html")
)

func (p *pages) registerAdmin(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /admin", p.adminGET(p.orgsPage))
	handle("POST /admin/login", p.login)
	handle("POST /admin/logout", p.adminPOST(p.logout))
	handle("POST /admin/orgs", p.adminPOST(p.createOrg))
	handle("GET /admin/{org}", p.adminGET(p.orgPage))
	handle("POST /admin/{org}/lineworks", p.adminPOST(p.saveIntegration))
	// The pages shown after posting the integration or creating the bot
	// keep the form's URL in the address bar; opened again (a reload, a
	// bookmark) it leads back to the organization instead of a bare 405.
	for _, sub := range []string{"lineworks", "bot", "bot/secret", "kiosk"} {
		handle("GET /admin/{org}/"+sub, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, adminURL(r.PathValue("org"), "", ""), http.StatusSeeOther)
		})
	}
	handle("POST /admin/{org}/bot", p.adminPOST(p.createBot))
	handle("POST /admin/{org}/bot/secret", p.adminPOST(p.reissueBotSecret))
	handle("POST /admin/{org}/rooms/refresh", p.adminPOST(p.refreshRooms))
	handle("POST /admin/{org}/kiosk", p.adminPOST(p.rotateKiosk))
	handle("POST /admin/{org}/kiosk/fallback", p.adminPOST(p.saveKioskFallback))
	handle("POST /admin/{org}/taps", p.adminPOST(p.saveOpenTaps))
	handle("GET /admin/{org}/rooms", p.adminGET(p.roomsPage))
	handle("GET /admin/{org}/buttons", p.adminGET(p.buttonsPage))
	handle("POST /admin/{org}/buttons", p.adminPOST(p.saveButton))
	handle("POST /admin/{org}/buttons/{id}/delete", p.adminPOST(p.deleteButton))
	handle("GET /admin/{org}/staff", p.adminGET(p.staffPage))
	handle("POST /admin/{org}/staff", p.adminPOST(p.saveStaff))
	handle("POST /admin/{org}/staff/{id}/active", p.adminPOST(p.setStaffActive))
	handle("GET /admin/{org}/visits", p.adminGET(p.visitsPage))
	handle("GET /admin/{org}/visits.csv", p.adminGET(p.visitsCSV))
	handle("POST /admin/{org}/visits/{id}/erase", p.adminPOST(p.eraseVisit))
	p.registerAdminAppointments(handle)
}

// notices are the fixed messages a redirect can ask a page to show.
var notices = map[string]string{
	"saved":     "保存しました (saved)",
	"deleted":   "削除しました (deleted)",
	"created":   "組織を作成しました (organization created)",
	"rotated":   "キオスクトークンを再発行しました。タブレットで新しいキオスクURLを開き直してください (kiosk token replaced)",
	"signed-in": "LINE WORKS のサインインで Bot の管理者とドメインを設定しました (bot administrator and domain set from the LINE WORKS sign-in)",
	"secret":    "Bot Secret を再発行して保存しました (bot secret reissued and stored)",
	"refreshed": "ルーム名を LINE WORKS から読み直しました (room titles refreshed)",
	"fallback":  "キオスクの案内文を保存しました (kiosk fallback text saved)",
	"erased":    "来訪者の個人情報を消去しました (the visitor's personal data was erased)",

	"appt-created":   "来客予約を登録しました。担当者に受付コードを送ります (appointment made; the hosts are sent its code)",
	"appt-changed":   "来客予約を変更しました。担当者に知らせます (appointment changed; the hosts are told)",
	"appt-cancelled": "来客予約を取り消しました。受付コードは使えなくなりました (appointment cancelled; its code no longer works)",
}

func (p *pages) layout(r *http.Request, s *session, title, tab string, org *OrgJSON) layoutData {
	l := layoutData{Title: title, Admin: true, CSRF: s.csrf, Tab: tab, Notice: notices[r.URL.Query().Get("notice")], Scripts: []string{"/static/admin.js"}}
	if org != nil {
		l.OrgID, l.OrgName = org.ID, org.Name
	}
	return l
}

func adminURL(org, sub, notice string) string {
	u := "/admin/" + url.PathEscape(org) + sub
	if notice != "" {
		u += "?notice=" + notice
	}
	return u
}

// adminOrg reads the organization of the path as the API's GET shows it;
// on failure it has answered.
func (p *pages) adminOrg(w http.ResponseWriter, r *http.Request) (*OrgJSON, bool) {
	org, err := p.app.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		var ae *app.Error
		if errors.As(err, &ae) && ae.Code == app.NotFound {
			p.message(w, http.StatusNotFound, "組織が見つかりません", "No organization "+r.PathValue("org"), "/admin")
			return nil, false
		}
		msg, _ := formError(r, err)
		p.log.Error("admin: reading an organization", "err", msg)
		p.message(w, http.StatusInternalServerError, "読み込めませんでした", msg, "/admin")
		return nil, false
	}
	view := orgView(r.Context(), p.app, org)
	return &view, true
}

// ---- organizations ----

type orgsData struct {
	layoutData
	Orgs   []OrgJSON
	Error  string
	Fields fieldMsgs
	Form   url.Values
}

func (p *pages) orgsPage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderOrgs(w, r, s, http.StatusOK, "", nil)
}

func (p *pages) renderOrgs(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg string, fields fieldMsgs) {
	d := orgsData{layoutData: p.layout(r, s, "組織", "orgs", nil), Error: errMsg, Fields: fields, Form: r.PostForm}
	orgs, err := p.app.Orgs(r.Context())
	if err != nil {
		d.Error, _ = formError(r, err)
	}
	for _, o := range orgs {
		d.Orgs = append(d.Orgs, orgView(r.Context(), p.app, o))
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	p.render(w, status, adminOrgsTmpl, d)
}

func (p *pages) createOrg(w http.ResponseWriter, r *http.Request, s *session) {
	id, _ := trimmedForm(r, "id")
	name := strings.TrimSpace(r.PostFormValue("name"))
	if id == "" && name != "" {
		// The ID is ours, not LINE WORKS': nobody should have to invent one.
		id = p.app.FreeOrgID(r.Context(), name)
	}
	if err := app.NeedID("id", id); err != nil {
		msg, f := formError(r, err)
		p.renderOrgs(w, r, s, http.StatusBadRequest, msg, f)
		return
	}
	if _, err := p.app.Store.GetOrganization(r.Context(), id); err == nil {
		p.renderOrgs(w, r, s, http.StatusConflict, "組織 "+id+" は既にあります (exists already)", fieldMsgs{"id": "既に使われています"})
		return
	}
	created, _, err := p.app.SaveOrg(r.Context(), app.OrgInput{ID: id, Name: name, Locale: "ja"})
	if err != nil {
		msg, f := formError(r, err)
		p.renderOrgs(w, r, s, http.StatusBadRequest, msg, f)
		return
	}
	p.flashKioskToken(w, r, created.ID, created.KioskToken)
	http.Redirect(w, r, adminURL(id, "", "created"), http.StatusSeeOther)
}

// trimmedForm returns a form value trimmed of white space (ASCII and
// full-width) and whether anything was trimmed.
func trimmedForm(r *http.Request, key string) (string, bool) {
	v := r.PostFormValue(key)
	t := strings.Trim(v, " \t\r\n\u3000\u200b\ufeff")
	return t, t != v
}
