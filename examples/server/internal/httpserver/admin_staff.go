package httpserver

import (
	"net/http"
	"strings"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The staff page: the directory that buttons notify and kiosks offer.

type staffForm struct {
	Editing          bool
	ID, Name, UserID string
	Active           bool
	Buttons          []string
}

type staffData struct {
	layoutData
	Staff   []app.StaffInput
	Buttons []app.ButtonInput
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
		if st, err := p.app.StaffMember(r.Context(), org.ID, id); err == nil {
			form = staffForm{Editing: true, ID: st.ID, Name: st.Name, UserID: st.UserID, Active: st.Active, Buttons: staffOut(st).Buttons}
		}
	}
	p.renderStaff(w, r, s, http.StatusOK, org, form, "", nil)
}

func (p *pages) renderStaff(w http.ResponseWriter, r *http.Request, s *session, status int, org *OrgJSON, form staffForm, errMsg string, fields fieldMsgs) {
	staff, err := p.app.Staff(r.Context(), org.ID)
	var buttons []*reception.Button
	if err == nil {
		buttons, err = p.app.Buttons(r.Context(), org.ID)
	}
	if err != nil {
		p.loadFailed(w, r, err)
		return
	}
	d := staffData{layoutData: p.layout(r, s, "スタッフ", "staff", org), Labels: map[string]string{}, Form: form, Error: errMsg, Fields: fields}
	for _, st := range staff {
		d.Staff = append(d.Staff, staffOut(st))
	}
	for _, b := range buttons {
		d.Buttons = append(d.Buttons, buttonOut(b))
		d.Labels[b.ID] = b.Label
	}
	p.render(w, status, adminStaffTmpl, d)
}

func (p *pages) saveStaff(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	form := staffForm{Editing: f.Get("editing") == "1", ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), UserID: f.Get("userId"),
		Active: f.Get("active") != "", Buttons: f["buttons"]}
	in := app.StaffInput{ID: form.ID, Name: form.Name, UserID: form.UserID, Buttons: form.Buttons, Active: &form.Active}
	if in.Buttons == nil {
		in.Buttons = []string{}
	}
	mode := app.Create
	if form.Editing && form.ID != "" {
		mode = app.Put
	}
	if _, _, err := p.app.SaveStaff(r.Context(), org.ID, in, mode); err != nil {
		msg, fields := formError(r, err)
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
	st, err := p.app.StaffMember(r.Context(), org, id)
	if err == nil {
		in := staffOut(st)
		active := r.PostFormValue("active") == "1"
		in.Active = &active
		_, _, err = p.app.SaveStaff(r.Context(), org, in, app.Put)
	}
	if err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadRequest, "変更できませんでした", msg, adminURL(org, "/staff", ""))
		return
	}
	http.Redirect(w, r, adminURL(org, "/staff", "saved"), http.StatusSeeOther)
}
