package httpserver

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The organization page: its kiosk, its LINE WORKS integration and bot.

type formField struct {
	Name, Label, Hint, Kind, Value, Placeholder, Error, Warning string
	// Advanced fields are filled by the set-up itself (sign-in, create
	// bot); the form shows them folded, for corrections only.
	Advanced bool
}

type orgData struct {
	layoutData
	Org       OrgJSON
	KioskURL  string
	Fields    []formField
	Error     string
	Warnings  []app.Warning
	Verify    *app.Verification
	Bot       *app.BotSetup
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

// orgState is what the organization page shows besides the organization:
// the outcome of the action that led to it.
type orgState struct {
	// form is the posted form, shown again after an error (nil: the
	// stored values).
	form     url.Values
	err      string
	fields   fieldMsgs
	warnings []app.Warning
	verify   *app.Verification
	bot      *app.BotSetup
}

// failed is the page state after an action failed with err.
func failed(r *http.Request, prefix string, err error, form url.Values) orgState {
	msg, fields := formError(r, err)
	return orgState{form: form, err: prefix + msg, fields: fields}
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
	if tok := p.takeKioskToken(w, r, org.ID); tok != "" {
		org.KioskToken = tok // just issued: shown this once
	}
	p.renderOrg(w, r, s, http.StatusOK, org, orgState{})
}

func (p *pages) renderOrg(w http.ResponseWriter, r *http.Request, s *session, status int, org *OrgJSON, st orgState) {
	in := org.Integration
	fields := integrationFields(&in, st)
	advancedOpen := false
	for _, f := range fields {
		advancedOpen = advancedOpen || (f.Advanced && (f.Error != "" || f.Warning != ""))
	}
	base := p.baseURL(r)
	d := orgData{AdvancedOpen: advancedOpen,
		layoutData: p.layout(r, s, org.Name, "org", org), Org: *org, Fields: fields, Error: st.err,
		Warnings: st.warnings, Verify: st.verify, Bot: st.bot, CallbackURL: in.CallbackURL,
		RedirectURL: base + oauthCallbackPath,
		Fallback:    org.KioskFallback, FallbackError: st.fields["kioskFallback"], FallbackDefault: reception.DefaultKioskFallback,
	}
	if st.form != nil && st.form.Has("kioskFallback") {
		d.Fallback = st.form.Get("kioskFallback")
	}
	if org.KioskToken != "" {
		d.KioskURL = base + "/kiosk/" + url.PathEscape(org.ID) + "?token=" + url.QueryEscape(org.KioskToken)
	}
	if in.ClientID != "" && in.HasClientSecret {
		d.SignInURL = oauthStartPath + "?org=" + url.QueryEscape(org.ID)
	}
	p.render(w, status, adminOrgTmpl, d)
}

// integrationFields are the LINE WORKS form's fields: the stored values,
// or the posted ones after an error, with their errors and warnings.
func integrationFields(in *IntegrationJSON, st orgState) []formField {
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
		if st.form != nil && st.form.Has(k) {
			vals[k] = st.form.Get(k)
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
		f.Error = st.fields[f.Name]
		for _, wn := range st.warnings {
			if wn.Field == f.Name {
				f.Warning = wn.Message
			}
		}
	}
	return fields
}

func (p *pages) saveIntegration(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	in, err := integrationForm(r)
	if err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, orgState{form: r.PostForm, err: "privateKey: " + err.Error(), fields: fieldMsgs{"privateKey": err.Error()}})
		return
	}
	saved, warnings, err := p.app.SaveIntegration(r.Context(), org.ID, in)
	if err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "", err, r.PostForm))
		return
	}
	org.Integration = integrationOut(p.app, saved)
	// Saved: the form shows what is stored now (trimmed), with the warnings.
	st := orgState{warnings: warnings}
	if r.PostFormValue("action") == "verify" {
		st = p.verify(r, org.ID, st)
	}
	// Read again: the delivery status must reflect the change and the
	// verification, not the organization as it was before.
	if fresh, ok := p.adminOrg(w, r); ok {
		p.renderOrg(w, r, s, http.StatusOK, fresh, st)
	}
}

// verify checks the saved credentials and shows the answer on st.
func (p *pages) verify(r *http.Request, orgID string, st orgState) orgState {
	v, err := p.app.VerifyIntegration(r.Context(), orgID)
	if err != nil {
		st.err, st.fields = formError(r, err)
		return st
	}
	st.verify = v
	if !v.OK && v.Field != "" {
		st.fields = fieldMsgs{v.Field: v.Error}
		for _, f := range v.Fields {
			st.fields[f] = v.Error
		}
	}
	return st
}

func (p *pages) createBot(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	out, err := p.app.SetUpBot(r.Context(), org.ID, app.BotInput{})
	if err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "Botを作成できませんでした: ", err, nil))
		return
	}
	org, ok = p.adminOrg(w, r)
	if !ok {
		return
	}
	p.renderOrg(w, r, s, http.StatusOK, org, orgState{warnings: out.Warnings, bot: out})
}

func (p *pages) reissueBotSecret(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	if _, err := p.app.ReissueBotSecret(r.Context(), org.ID); err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "Bot Secret を再発行できませんでした: ", err, nil))
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "secret"), http.StatusSeeOther)
}

// saveKioskFallback sets the text kiosks show while the organization
// cannot deliver; an empty form field restores the default.
func (p *pages) saveKioskFallback(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	fallback := r.PostFormValue("kioskFallback")
	if _, _, err := p.app.SaveOrg(r.Context(), app.OrgInput{ID: org.ID, Name: org.Name, Locale: org.Locale, KioskFallback: &fallback}); err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "", err, r.PostForm))
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "fallback")+"#kiosk", http.StatusSeeOther)
}

// saveOpenTaps sets whether anyone may accept or escalate a visit from
// any room (reception.Organization.OpenTaps).
func (p *pages) saveOpenTaps(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	open := r.PostFormValue("openTaps") == "1"
	if _, _, err := p.app.SaveOrg(r.Context(), app.OrgInput{ID: org.ID, Name: org.Name, Locale: org.Locale, OpenTaps: &open}); err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "", err, nil))
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "", "saved")+"#taps", http.StatusSeeOther)
}

func (p *pages) rotateKiosk(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	issued, _, err := p.app.SaveOrg(r.Context(), app.OrgInput{ID: org.ID, Name: org.Name, Locale: org.Locale, RotateKioskToken: true})
	if err != nil {
		p.renderOrg(w, r, s, http.StatusBadRequest, org, failed(r, "", err, nil))
		return
	}
	p.flashKioskToken(w, r, issued.ID, issued.KioskToken)
	http.Redirect(w, r, adminURL(org.ID, "", "rotated"), http.StatusSeeOther)
}
