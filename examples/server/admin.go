package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// The admin pages. Every page needs a session (csrf.go); every form posts
// the session's CSRF token. Reads and writes go through the JSON API
// in-process (callAPI), so the pages validate exactly as the API does.

var (
	adminLoginTmpl   = pageTemplate("admin_login.html")
	adminOrgsTmpl    = pageTemplate("admin_nav.html", "admin_orgs.html")
	adminOrgTmpl     = pageTemplate("admin_nav.html", "admin_org.html")
	adminRoomsTmpl   = pageTemplate("admin_nav.html", "admin_rooms.html")
	adminButtonsTmpl = pageTemplate("admin_nav.html", "admin_buttons.html")
	adminStaffTmpl   = pageTemplate("admin_nav.html", "admin_staff.html")
	adminVisitsTmpl  = pageTemplate("admin_nav.html", "admin_visits.html")
)

func (p *pages) registerAdmin(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", p.adminGET(p.orgsPage))
	mux.HandleFunc("POST /admin/login", p.login)
	mux.HandleFunc("POST /admin/logout", p.adminPOST(p.logout))
	mux.HandleFunc("POST /admin/orgs", p.adminPOST(p.createOrg))
	mux.HandleFunc("GET /admin/{org}", p.adminGET(p.orgPage))
	mux.HandleFunc("POST /admin/{org}/lineworks", p.adminPOST(p.saveIntegration))
	mux.HandleFunc("POST /admin/{org}/bot", p.adminPOST(p.createBot))
	mux.HandleFunc("POST /admin/{org}/bot/secret", p.adminPOST(p.reissueBotSecret))
	mux.HandleFunc("POST /admin/{org}/rooms/refresh", p.adminPOST(p.refreshRooms))
	mux.HandleFunc("POST /admin/{org}/kiosk", p.adminPOST(p.rotateKiosk))
	mux.HandleFunc("POST /admin/{org}/kiosk/fallback", p.adminPOST(p.saveKioskFallback))
	mux.HandleFunc("GET /admin/{org}/rooms", p.adminGET(p.roomsPage))
	mux.HandleFunc("GET /admin/{org}/buttons", p.adminGET(p.buttonsPage))
	mux.HandleFunc("POST /admin/{org}/buttons", p.adminPOST(p.saveButton))
	mux.HandleFunc("POST /admin/{org}/buttons/{id}/delete", p.adminPOST(p.deleteButton))
	mux.HandleFunc("GET /admin/{org}/staff", p.adminGET(p.staffPage))
	mux.HandleFunc("POST /admin/{org}/staff", p.adminPOST(p.saveStaff))
	mux.HandleFunc("POST /admin/{org}/staff/{id}/active", p.adminPOST(p.setStaffActive))
	mux.HandleFunc("GET /admin/{org}/visits", p.adminGET(p.visitsPage))
	mux.HandleFunc("GET /admin/{org}/visits.csv", p.adminGET(p.visitsCSV))
}

// notices are the fixed messages a redirect can ask a page to show.
var notices = map[string]string{
	"saved":     "保存しました (saved)",
	"deleted":   "削除しました (deleted)",
	"created":   "組織を作成しました (organization created)",
	"rotated":   "キオスクトークンを再発行しました。タブレットで新しいキオスクURLを開き直してください (kiosk token replaced)",
	"signed-in": "LINE WORKS のサインインで Bot の管理者とドメインを設定しました。次は「Botを作成」です (bot administrator and domain set from the LINE WORKS sign-in; next: Create the bot)",
	"secret":    "Bot Secret を再発行して保存しました (bot secret reissued and stored)",
	"refreshed": "ルーム名を LINE WORKS から読み直しました (room titles refreshed)",
	"fallback":  "キオスクの案内文を保存しました (kiosk fallback text saved)",
}

func (p *pages) layout(r *http.Request, s *session, title, tab string, org *orgJSON) layoutData {
	l := layoutData{Title: title, Admin: true, CSRF: s.csrf, Tab: tab, Notice: notices[r.URL.Query().Get("notice")], Scripts: []string{"/static/admin.js"}}
	if org != nil {
		l.OrgID, l.OrgName = org.ID, org.Name
	}
	return l
}

func orgPath(org, sub string) string {
	return "/orgs/" + url.PathEscape(org) + sub
}

func adminURL(org, sub, notice string) string {
	u := "/admin/" + url.PathEscape(org) + sub
	if notice != "" {
		u += "?notice=" + notice
	}
	return u
}

// adminOrg reads the organization of the path; on failure it has answered.
func (p *pages) adminOrg(w http.ResponseWriter, r *http.Request) (*orgJSON, bool) {
	var org orgJSON
	if err := p.callAPI(r.Context(), r.PathValue("org"), "", http.MethodGet, orgPath(r.PathValue("org"), ""), nil, &org); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			p.message(w, http.StatusNotFound, "組織が見つかりません", "No organization "+r.PathValue("org"), "/admin")
			return nil, false
		}
		p.log.Error("admin: reading an organization", "err", err)
		p.message(w, http.StatusInternalServerError, "読み込めませんでした", err.Error(), "/admin")
		return nil, false
	}
	return &org, true
}

// ---- organizations ----

type orgsData struct {
	layoutData
	Orgs   []orgJSON
	Error  string
	Fields fieldMsgs
	Form   url.Values
}

func (p *pages) orgsPage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderOrgs(w, r, s, http.StatusOK, "", nil)
}

func (p *pages) renderOrgs(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg string, fields fieldMsgs) {
	var orgs []orgJSON
	if err := p.callAPI(r.Context(), "", "", http.MethodGet, "/orgs", nil, &orgs); err != nil {
		errMsg = err.Error()
	}
	d := orgsData{layoutData: p.layout(r, s, "組織", "orgs", nil), Orgs: orgs, Error: errMsg, Fields: fields, Form: r.PostForm}
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
		id = p.freeOrgID(r.Context(), name)
	}
	if err := needID("id", id); err != nil {
		msg, f := formError(err)
		p.renderOrgs(w, r, s, http.StatusBadRequest, msg, f)
		return
	}
	if _, err := p.a.store.GetOrganization(r.Context(), id); err == nil {
		p.renderOrgs(w, r, s, http.StatusConflict, "組織 "+id+" は既にあります (exists already)", fieldMsgs{"id": "既に使われています"})
		return
	}
	if err := p.callAPI(r.Context(), id, "", http.MethodPut, orgPath(id, ""), map[string]string{"name": name, "locale": "ja"}, nil); err != nil {
		msg, f := formError(err)
		p.renderOrgs(w, r, s, http.StatusBadRequest, msg, f)
		return
	}
	http.Redirect(w, r, adminURL(id, "", "created"), http.StatusSeeOther)
}

// ---- organization: kiosk, LINE WORKS integration, bot ----

type formField struct {
	Name, Label, Hint, Kind, Value, Placeholder, Error, Warning string
	// Advanced fields are filled by the set-up itself (sign-in, create
	// bot); the form shows them folded, for corrections only.
	Advanced bool
}

type orgData struct {
	layoutData
	Org       orgJSON
	KioskURL  string
	Fields    []formField
	Error     string
	Warnings  []warningJSON
	Verify    *verifyJSON
	Bot       *botOut
	SignInURL string
	// AdvancedOpen unfolds the set-up's own fields when one of them has
	// an error or a warning to show.
	AdvancedOpen bool
	CallbackURL  string
	RedirectURL  string
	// Fallback is the kiosk fallback text in the form, FallbackError its
	// error, Default the text used when it is empty.
	Fallback, FallbackError, FallbackDefault string
}

// fieldLabels names the integration's fields for people.
var fieldLabels = map[string]string{
	"clientId": "Client ID", "clientSecret": "Client Secret", "serviceAccount": "Service Account",
	"privateKey": "Private Key（秘密鍵）", "adminUserId": "管理者のユーザーID", "botId": "Bot ID",
	"botSecret": "Bot Secret", "scopes": "Scopes", "domainId": "Domain ID", "publicUrl": "UKETSUKE_PUBLIC_URL",
}

func (p *pages) orgPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	p.renderOrg(w, r, s, http.StatusOK, org, nil, "", nil, nil, nil, nil)
}

func (p *pages) renderOrg(w http.ResponseWriter, r *http.Request, s *session, status int, org *orgJSON, form url.Values, errMsg string, errs fieldMsgs, warnings []warningJSON, verify *verifyJSON, bot *botOut) {
	in := org.Integration
	vals := map[string]string{
		"clientId": in.ClientID, "serviceAccount": in.ServiceAccount, "adminUserId": in.AdminUserID,
		"scopes": strings.Join(in.Scopes, " "), "botId": "", "domainId": "",
	}
	if in.BotID != 0 {
		vals["botId"] = strconv.FormatInt(in.BotID, 10)
	}
	if in.DomainID != 0 {
		vals["domainId"] = strconv.FormatInt(in.DomainID, 10)
	}
	if vals["scopes"] == "" {
		vals["scopes"] = "bot user.read"
	}
	for k := range vals {
		if form != nil && form.Has(k) {
			vals[k] = form.Get(k)
		}
	}
	stored := func(has bool) string {
		if has {
			return "保存済み — 変更するときだけ入力 (stored; type only to replace)"
		}
		return ""
	}
	fields := []formField{
		{Name: "clientId", Kind: "text", Hint: "Developer Console → アプリ → Client ID"},
		{Name: "clientSecret", Kind: "password", Placeholder: stored(in.HasClientSecret)},
		{Name: "serviceAccount", Kind: "text", Hint: "xxxxx.serviceaccount@example.com"},
		{Name: "privateKey", Kind: "key", Placeholder: stored(in.HasPrivateKey), Hint: "-----BEGIN PRIVATE KEY----- … を貼り付けるか、.key ファイルを選択"},
		{Name: "scopes", Kind: "text", Hint: "bot（必須）, user.read（担当者の名前表示）"},
		{Name: "adminUserId", Kind: "text", Advanced: true, Hint: "「LINE WORKS でサインイン」で自動入力されます (filled by the sign-in)"},
		{Name: "domainId", Kind: "text", Advanced: true, Hint: "「LINE WORKS でサインイン」で自動入力されます (filled by the sign-in)"},
		{Name: "botId", Kind: "text", Advanced: true, Hint: "「Botを作成」で自動入力されます (filled by Create bot)"},
		{Name: "botSecret", Kind: "password", Advanced: true, Placeholder: stored(in.HasBotSecret), Hint: "「Botを作成」「Bot Secret を再発行」で自動保存されます (stored by Create bot)"},
	}
	for i := range fields {
		f := &fields[i]
		f.Label = fieldLabels[f.Name]
		f.Value = vals[f.Name]
		f.Error = errs[f.Name]
	}
	for _, wn := range warnings {
		for i := range fields {
			if fields[i].Name == wn.Field {
				fields[i].Warning = wn.Message
			}
		}
	}
	advancedOpen := false
	for _, f := range fields {
		advancedOpen = advancedOpen || (f.Advanced && (f.Error != "" || f.Warning != ""))
	}
	base := p.baseURL(r)
	d := orgData{AdvancedOpen: advancedOpen,
		layoutData: p.layout(r, s, org.Name, "org", org), Org: *org, Fields: fields, Error: errMsg,
		Warnings: warnings, Verify: verify, Bot: bot, CallbackURL: in.CallbackURL,
		RedirectURL: base + oauthCallbackPath,
		Fallback:    org.KioskFallback, FallbackError: errs["kioskFallback"], FallbackDefault: reception.DefaultKioskFallback,
	}
	if form != nil && form.Has("kioskFallback") {
		d.Fallback = form.Get("kioskFallback")
	}
	if org.KioskToken != "" {
		d.KioskURL = base + "/kiosk/" + url.PathEscape(org.ID) + "?token=" + url.QueryEscape(org.KioskToken)
	}
	if in.ClientID != "" && in.HasClientSecret {
		d.SignInURL = oauthStartPath + "?org=" + url.QueryEscape(org.ID)
	}
	p.render(w, status, adminOrgTmpl, d)
}

// maxKeyFile bounds the uploaded private key; a PEM key is under 4 KB.
const maxKeyFile = 64 << 10

func (p *pages) saveIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	body := map[string]any{}
	for _, k := range []string{"clientId", "serviceAccount", "adminUserId", "botId", "domainId"} {
		if f.Has(k) {
			body[k] = f.Get(k) // untrimmed: the API trims and says which fields it trimmed
		}
	}
	for _, k := range []string{"clientSecret", "botSecret", "privateKey"} {
		if v := f.Get(k); v != "" {
			body[k] = v
		}
	}
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["privateKeyFile"]; len(fhs) > 0 && fhs[0].Size > 0 {
			key, err := readUpload(fhs[0], maxKeyFile)
			if err != nil {
				p.renderOrg(w, r, s, http.StatusBadRequest, org, f, "privateKey: "+err.Error(), fieldMsgs{"privateKey": err.Error()}, nil, nil, nil)
				return
			}
			body["privateKey"] = key
		}
	}
	if f.Has("scopes") {
		body["scopes"] = strings.FieldsFunc(f.Get("scopes"), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	}
	var out integrationOutJSON
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPut, orgPath(org.ID, "/lineworks"), body, &out); err != nil {
		msg, fields := formError(err)
		p.renderOrg(w, r, s, http.StatusBadRequest, org, f, msg, fields, nil, nil, nil)
		return
	}
	org.Integration = out.Integration
	var verify *verifyJSON
	var errs fieldMsgs
	errMsg := ""
	if f.Get("action") == "verify" {
		verify = &verifyJSON{}
		if err := p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/lineworks/verify"), nil, verify); err != nil {
			errMsg, errs = formError(err)
			verify = nil
		} else if !verify.OK && verify.Field != "" {
			errs = fieldMsgs{verify.Field: verify.Error}
			for _, f := range verify.Fields {
				errs[f] = verify.Error
			}
		}
	}
	// Saved: the form shows what is stored now (trimmed), with the warnings.
	p.renderOrg(w, r, s, http.StatusOK, org, nil, errMsg, errs, out.Warnings, verify, nil)
}

// readUpload reads an uploaded file of at most limit bytes.
func readUpload(fh *multipart.FileHeader, limit int64) (string, error) {
	file, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return "", err
	}
	if int64(len(data)) > limit {
		return "", fmt.Errorf("the file is larger than %d KB; choose the .key file LINE WORKS gave you", limit>>10)
	}
	return string(data), nil
}

func (p *pages) createBot(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	var out botOut
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/lineworks/bot"), nil, &out); err != nil {
		msg, fields := formError(err)
		p.renderOrg(w, r, s, http.StatusBadRequest, org, nil, "Botを作成できませんでした: "+msg, fields, nil, nil, nil)
		return
	}
	org, ok = p.adminOrg(w, r)
	if !ok {
		return
	}
	p.renderOrg(w, r, s, http.StatusOK, org, nil, "", nil, out.Warnings, nil, &out)
}

func (p *pages) reissueBotSecret(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/lineworks/bot/secret"), nil, nil); err != nil {
		msg, fields := formError(err)
		p.renderOrg(w, r, s, http.StatusBadRequest, org, nil, "Bot Secret を再発行できませんでした: "+msg, fields, nil, nil, nil)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "secret"), http.StatusSeeOther)
}

func (p *pages) refreshRooms(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/rooms/refresh"), nil, nil); err != nil {
		p.message(w, http.StatusBadGateway, "ルーム名を読み直せませんでした", err.Error(), adminURL(org.ID, "/rooms", ""))
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/rooms", "refreshed"), http.StatusSeeOther)
}

// saveKioskFallback sets the text kiosks show while the organization
// cannot deliver; an empty form field restores the default.
func (p *pages) saveKioskFallback(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	body := map[string]any{"name": org.Name, "locale": org.Locale, "kioskFallback": r.PostFormValue("kioskFallback")}
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPut, orgPath(org.ID, ""), body, nil); err != nil {
		msg, fields := formError(err)
		p.renderOrg(w, r, s, http.StatusBadRequest, org, r.PostForm, msg, fields, nil, nil, nil)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "fallback")+"#kiosk", http.StatusSeeOther)
}

func (p *pages) rotateKiosk(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	body := map[string]any{"name": org.Name, "locale": org.Locale, "rotateKioskToken": true}
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodPut, orgPath(org.ID, ""), body, nil); err != nil {
		msg, fields := formError(err)
		p.renderOrg(w, r, s, http.StatusBadRequest, org, nil, msg, fields, nil, nil, nil)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "rotated"), http.StatusSeeOther)
}

// ---- rooms ----

type roomView struct {
	roomJSON
	Joined, Left string
}

type roomsData struct {
	layoutData
	Rooms []roomView
}

func (p *pages) rooms(r *http.Request, orgID string) ([]roomView, error) {
	var rooms []roomJSON
	if err := p.callAPI(r.Context(), orgID, "", http.MethodGet, orgPath(orgID, "/rooms"), nil, &rooms); err != nil {
		return nil, err
	}
	out := make([]roomView, 0, len(rooms))
	for _, rm := range rooms {
		v := roomView{roomJSON: rm, Joined: p.timeText(rm.JoinedAt)}
		if rm.LeftAt != nil {
			v.Left = p.timeText(*rm.LeftAt)
		}
		out = append(out, v)
	}
	return out, nil
}

func (p *pages) timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.a.loc).Format("2006-01-02 15:04")
}

func (p *pages) roomsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	rooms, err := p.rooms(r, org.ID)
	if err != nil {
		p.message(w, http.StatusInternalServerError, "読み込めませんでした", err.Error(), "/admin")
		return
	}
	p.render(w, http.StatusOK, adminRoomsTmpl, roomsData{layoutData: p.layout(r, s, "ルーム", "rooms", org), Rooms: rooms})
}

// roomName is how a room is shown: its title and ID, or the ID alone.
func roomName(rooms []roomView, id string) string {
	for _, rm := range rooms {
		if rm.ChannelID == id && rm.Title != "" {
			return rm.Title + " (" + id + ")"
		}
	}
	return id
}

// ---- buttons ----

type buttonRow struct {
	buttonJSON
	LabelEn  string
	RoomText []string
	StaffTxt []string
	Reminder string
	// NoRoute flags a button whose check-ins are refused unless the
	// visitor picks a staff member: no room, no staff, and no default room
	// to fall back to.
	NoRoute bool
}

type buttonForm struct {
	Editing                                                bool
	ID, Label, LabelEn, Order, Room, RoomOther, After, Max string
	Enabled, PersonalFirst, MentionAll                     bool
	Staff                                                  []string
}

type buttonsData struct {
	layoutData
	Buttons []buttonRow
	Rooms   []roomView // joined rooms, for the picker
	Staff   []staffJSON
	Form    buttonForm
	Error   string
	Fields  fieldMsgs
}

var reminderChoices = []string{"1m", "3m", "5m", "10m", "15m", "30m", "1h"}

func (p *pages) buttonsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form := buttonForm{Enabled: true, Order: "", Max: "1"}
	if id := r.URL.Query().Get("edit"); id != "" {
		var b buttonJSON
		if err := p.callAPI(r.Context(), org.ID, "", http.MethodGet, orgPath(org.ID, "/buttons/"+url.PathEscape(id)), nil, &b); err == nil {
			form = buttonFormOf(&b)
		}
	}
	p.renderButtons(w, r, s, http.StatusOK, org, form, "", nil)
}

func buttonFormOf(b *buttonJSON) buttonForm {
	f := buttonForm{Editing: true, ID: b.ID, Label: b.Label, LabelEn: b.Labels["en"], Order: strconv.Itoa(b.Order),
		Enabled: b.Enabled == nil || *b.Enabled, PersonalFirst: b.PersonalFirst, Staff: b.Staff, Max: "1"}
	if len(b.Rooms) > 0 {
		f.Room = b.Rooms[0]
		f.RoomOther = strings.Join(b.Rooms[1:], " ")
	}
	if b.Reminder != nil {
		f.After, f.MentionAll, f.Max = b.Reminder.After, b.Reminder.MentionAll, strconv.Itoa(b.Reminder.Max)
	}
	return f
}

func (p *pages) renderButtons(w http.ResponseWriter, r *http.Request, s *session, status int, org *orgJSON, form buttonForm, errMsg string, fields fieldMsgs) {
	ctx := r.Context()
	var buttons []buttonJSON
	var staff []staffJSON
	err := p.callAPI(ctx, org.ID, "", http.MethodGet, orgPath(org.ID, "/buttons"), nil, &buttons)
	if err == nil {
		err = p.callAPI(ctx, org.ID, "", http.MethodGet, orgPath(org.ID, "/staff"), nil, &staff)
	}
	rooms, rerr := p.rooms(r, org.ID)
	if err == nil {
		err = rerr
	}
	if err != nil {
		p.message(w, http.StatusInternalServerError, "読み込めませんでした", err.Error(), "/admin")
		return
	}
	names := map[string]string{}
	for _, st := range staff {
		names[st.ID] = st.Name
	}
	d := buttonsData{layoutData: p.layout(r, s, "ボタン", "buttons", org), Staff: staff, Form: form, Error: errMsg, Fields: fields}
	for _, rm := range rooms {
		if rm.LeftAt == nil {
			d.Rooms = append(d.Rooms, rm)
		}
	}
	// A room the button uses but the bot left (or never reported) stays
	// selectable, so editing does not silently change it.
	if form.Room != "" && !slices.ContainsFunc(d.Rooms, func(rm roomView) bool { return rm.ChannelID == form.Room }) {
		d.Rooms = append(d.Rooms, roomView{roomJSON: roomJSON{ChannelID: form.Room, Title: "（参加していないルーム）"}})
	}
	for _, b := range buttons {
		row := buttonRow{buttonJSON: b, LabelEn: b.Labels["en"]}
		for _, id := range b.Rooms {
			row.RoomText = append(row.RoomText, roomName(rooms, id))
		}
		// As notify routes a check-in: staff count when they are active
		// and have a LINE WORKS user ID.
		reachable := slices.ContainsFunc(staff, func(st staffJSON) bool {
			return slices.Contains(b.Staff, st.ID) && (st.Active == nil || *st.Active) && st.UserID != ""
		})
		switch {
		case len(b.Rooms) > 0:
		case reachable:
			row.RoomText = []string{"個別通知のみ (staff only)"}
		case org.Integration.DefaultChannelID != "":
			row.RoomText = []string{"既定のルーム (default room)"}
		default:
			row.NoRoute = true
		}
		for _, id := range b.Staff {
			n := names[id]
			if n == "" {
				n = id
			}
			row.StaffTxt = append(row.StaffTxt, n)
		}
		if b.Reminder != nil {
			row.Reminder = b.Reminder.After + " ×" + strconv.Itoa(max(b.Reminder.Max, 1))
			if b.Reminder.MentionAll {
				row.Reminder += " @All"
			}
		}
		d.Buttons = append(d.Buttons, row)
	}
	p.render(w, status, adminButtonsTmpl, d)
}

// buttonField maps the API's field paths to the form's inputs.
func buttonField(f string) string {
	switch {
	case strings.HasPrefix(f, "rooms"):
		return "room"
	case strings.HasPrefix(f, "labels"):
		return "labelEn"
	case strings.HasPrefix(f, "staff"):
		return "staff"
	case f == "reminder.after":
		return "after"
	case f == "reminder.max":
		return "max"
	}
	return f
}

func (p *pages) saveButton(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	form := buttonForm{Editing: f.Get("editing") == "1", ID: strings.TrimSpace(f.Get("id")), Label: f.Get("label"), LabelEn: f.Get("labelEn"),
		Order: strings.TrimSpace(f.Get("order")), Room: f.Get("room"), RoomOther: f.Get("roomOther"), After: f.Get("after"), Max: f.Get("max"),
		Enabled: f.Get("enabled") != "", PersonalFirst: f.Get("personalFirst") != "", MentionAll: f.Get("mentionAll") != "", Staff: f["staff"]}
	fail := func(err error) {
		msg, fields := formError(err)
		fm := fieldMsgs{}
		for k, v := range fields {
			fm[buttonField(k)] = v
		}
		p.renderButtons(w, r, s, http.StatusBadRequest, org, form, msg, fm)
	}
	in := buttonJSON{ID: form.ID, Label: form.Label, Enabled: &form.Enabled, PersonalFirst: form.PersonalFirst, Staff: form.Staff, Rooms: []string{}}
	if in.Staff == nil {
		in.Staff = []string{}
	}
	if l := strings.TrimSpace(form.LabelEn); l != "" {
		in.Labels = map[string]string{"en": l}
	}
	if form.Order != "" {
		n, err := strconv.Atoi(form.Order)
		if err != nil {
			fail(&apiError{Status: http.StatusBadRequest, Field: "order", Msg: "order: 数値で入力してください (a number)"})
			return
		}
		in.Order = n
	}
	for _, room := range append([]string{form.Room}, strings.FieldsFunc(form.RoomOther, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })...) {
		if room = strings.TrimSpace(room); room != "" && !slices.Contains(in.Rooms, room) {
			in.Rooms = append(in.Rooms, room)
		}
	}
	if a := strings.TrimSpace(form.After); a != "" {
		m, _ := strconv.Atoi(strings.TrimSpace(form.Max))
		in.Reminder = &reminderJSON{After: a, MentionAll: form.MentionAll, Max: m}
	}
	var err error
	if form.Editing && form.ID != "" {
		err = p.callAPI(r.Context(), org.ID, "", http.MethodPut, orgPath(org.ID, "/buttons/"+url.PathEscape(form.ID)), in, nil)
	} else {
		err = p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/buttons"), in, nil)
	}
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/buttons", "saved"), http.StatusSeeOther)
}

func (p *pages) deleteButton(w http.ResponseWriter, r *http.Request, s *session) {
	org := r.PathValue("org")
	if err := p.callAPI(r.Context(), org, "", http.MethodDelete, orgPath(org, "/buttons/"+url.PathEscape(r.PathValue("id"))), nil, nil); err != nil {
		p.message(w, http.StatusBadRequest, "削除できませんでした", err.Error(), adminURL(org, "/buttons", ""))
		return
	}
	http.Redirect(w, r, adminURL(org, "/buttons", "deleted"), http.StatusSeeOther)
}

// ---- staff ----

type staffForm struct {
	Editing          bool
	ID, Name, UserID string
	Active           bool
	Buttons          []string
}

type staffData struct {
	layoutData
	Staff   []staffJSON
	Buttons []buttonJSON
	Labels  map[string]string
	Form    staffForm
	Error   string
	Fields  fieldMsgs
}

func (p *pages) staffPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form := staffForm{Active: true}
	if id := r.URL.Query().Get("edit"); id != "" {
		var st staffJSON
		if err := p.callAPI(r.Context(), org.ID, "", http.MethodGet, orgPath(org.ID, "/staff/"+url.PathEscape(id)), nil, &st); err == nil {
			form = staffForm{Editing: true, ID: st.ID, Name: st.Name, UserID: st.UserID, Active: st.Active == nil || *st.Active, Buttons: st.Buttons}
		}
	}
	p.renderStaff(w, r, s, http.StatusOK, org, form, "", nil)
}

func (p *pages) renderStaff(w http.ResponseWriter, r *http.Request, s *session, status int, org *orgJSON, form staffForm, errMsg string, fields fieldMsgs) {
	var staff []staffJSON
	var buttons []buttonJSON
	err := p.callAPI(r.Context(), org.ID, "", http.MethodGet, orgPath(org.ID, "/staff"), nil, &staff)
	if err == nil {
		err = p.callAPI(r.Context(), org.ID, "", http.MethodGet, orgPath(org.ID, "/buttons"), nil, &buttons)
	}
	if err != nil {
		p.message(w, http.StatusInternalServerError, "読み込めませんでした", err.Error(), "/admin")
		return
	}
	labels := map[string]string{}
	for _, b := range buttons {
		labels[b.ID] = b.Label
	}
	p.render(w, status, adminStaffTmpl, staffData{layoutData: p.layout(r, s, "スタッフ", "staff", org),
		Staff: staff, Buttons: buttons, Labels: labels, Form: form, Error: errMsg, Fields: fields})
}

func (p *pages) saveStaff(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	form := staffForm{Editing: f.Get("editing") == "1", ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), UserID: f.Get("userId"),
		Active: f.Get("active") != "", Buttons: f["buttons"]}
	in := staffJSON{ID: form.ID, Name: form.Name, UserID: form.UserID, Buttons: form.Buttons, Active: &form.Active}
	if in.Buttons == nil {
		in.Buttons = []string{}
	}
	var err error
	if form.Editing && form.ID != "" {
		err = p.callAPI(r.Context(), org.ID, "", http.MethodPut, orgPath(org.ID, "/staff/"+url.PathEscape(form.ID)), in, nil)
	} else {
		err = p.callAPI(r.Context(), org.ID, "", http.MethodPost, orgPath(org.ID, "/staff"), in, nil)
	}
	if err != nil {
		msg, fields := formError(err)
		fm := fieldMsgs{}
		for k, v := range fields {
			if strings.HasPrefix(k, "buttons") {
				k = "buttons"
			}
			fm[k] = v
		}
		p.renderStaff(w, r, s, http.StatusBadRequest, org, form, msg, fm)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/staff", "saved"), http.StatusSeeOther)
}

func (p *pages) setStaffActive(w http.ResponseWriter, r *http.Request, s *session) {
	org, id := r.PathValue("org"), r.PathValue("id")
	path := orgPath(org, "/staff/"+url.PathEscape(id))
	var st staffJSON
	err := p.callAPI(r.Context(), org, "", http.MethodGet, path, nil, &st)
	if err == nil {
		active := r.PostFormValue("active") == "1"
		st.Active = &active
		err = p.callAPI(r.Context(), org, "", http.MethodPut, path, st, nil)
	}
	if err != nil {
		p.message(w, http.StatusBadRequest, "変更できませんでした", err.Error(), adminURL(org, "/staff", ""))
		return
	}
	http.Redirect(w, r, adminURL(org, "/staff", "saved"), http.StatusSeeOther)
}

// ---- visits ----

type visitRow struct {
	visitJSON
	At, HandledAtText, StatusText, HandlerText string
}

type visitsData struct {
	layoutData
	Date, CSV string
	Visits    []visitRow
	Error     string
}

var statusText = map[string]string{
	string(reception.StatusWaiting): "対応待ち", string(reception.StatusAccepted): "対応中",
	string(reception.StatusEscalated): "他の人に依頼中", string(reception.StatusClosed): "完了",
}

func (p *pages) visitDate(r *http.Request) string {
	d := strings.TrimSpace(r.URL.Query().Get("date"))
	if d == "" {
		d = p.now().In(p.a.loc).Format(time.DateOnly)
	}
	return d
}

func (p *pages) visitsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	date := p.visitDate(r)
	d := visitsData{layoutData: p.layout(r, s, "来訪履歴", "visits", org), Date: date,
		CSV: adminURL(org.ID, "/visits.csv", "") + "?date=" + url.QueryEscape(date)}
	var visits []visitJSON
	if err := p.callAPI(r.Context(), org.ID, "", http.MethodGet, orgPath(org.ID, "/visits?date="+url.QueryEscape(date)), nil, &visits); err != nil {
		d.Error, _ = formError(err)
	}
	for _, v := range visits {
		row := visitRow{visitJSON: v, At: p.timeText(v.CreatedAt), StatusText: statusText[v.Status], HandlerText: v.Handler}
		if row.StatusText == "" {
			row.StatusText = v.Status
		}
		if row.HandlerText == "" {
			row.HandlerText = v.HandlerUserID
		}
		if v.HandledAt != nil {
			row.HandledAtText = p.timeText(*v.HandledAt)
		}
		d.Visits = append(d.Visits, row)
	}
	p.render(w, http.StatusOK, adminVisitsTmpl, d)
}

// visitsCSV is the API's CSV export, streamed through.
func (p *pages) visitsCSV(w http.ResponseWriter, r *http.Request, s *session) {
	org := r.PathValue("org")
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, apiPrefix+orgPath(org, "/visits?format=csv&date="+url.QueryEscape(p.visitDate(r))), nil)
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req.Header.Set("Authorization", "Bearer "+string(p.a.adminToken))
	p.apiMux.ServeHTTP(w, req)
}

// trimmedForm returns a form value trimmed of white space (ASCII and
// full-width) and whether anything was trimmed.
func trimmedForm(r *http.Request, key string) (string, bool) {
	v := r.PostFormValue(key)
	t := strings.Trim(v, " \t\r\n\u3000\u200b\ufeff")
	return t, t != v
}

// freeOrgID makes an unused organization ID from a name: its ASCII letters
// and digits in lower case ("ACME Corp." → "acme-corp"), or "org-" and
// random hex for a name without any (a Japanese name, say).
func (p *pages) freeOrgID(ctx context.Context, name string) string {
	base := orgSlug(name)
	for i := 0; ; i++ {
		id := base
		switch {
		case base == "" || i >= 3:
			id = "org-" + hex.EncodeToString(randomBytes(3))
		case i > 0:
			id = fmt.Sprintf("%s-%d", base, i+1)
		}
		if _, err := p.a.store.GetOrganization(ctx, id); errors.Is(err, reception.ErrNotFound) || i >= 6 {
			return id
		}
	}
}

func orgSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "-")
	}
	return s
}
