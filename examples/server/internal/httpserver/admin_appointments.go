package httpserver

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The appointments page: today's and upcoming appointments, a form to make
// one or change one, and a cancel button on each. It calls the same use
// cases as the JSON API (app.CreateAppointment, UpdateAppointment,
// CancelAppointment).

var adminAppointmentsTmpl = pageTemplate("admin_nav.html", "admin_appointments.html")

func (p *pages) registerAdminAppointments(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /admin/{org}/appointments", p.adminGET(p.appointmentsPage))
	handle("POST /admin/{org}/appointments", p.adminPOST(p.saveAppointment))
	handle("POST /admin/{org}/appointments/{id}/cancel", p.adminPOST(p.cancelAppointmentForm))
}

// apptForm is the appointment form as the admin filled it in.
type apptForm struct {
	ID                          string // set when changing one
	Date, Time, Until           string
	Hosts                       []string
	Company, Name, Email, Other string // the first visitor; Other: one more per line
	PartySize, Title, Room      string
}

// apptRow is one appointment in the page's tables.
type apptRow struct {
	AppointmentJSON
	When, Visitors, StatusText string
	Changeable                 bool
}

type apptHost struct{ ID, Name string }

// apptTable is one table of appointments and what its forms need.
type apptTable struct {
	Rows        []apptRow
	OrgID, CSRF string
}

type appointmentsData struct {
	layoutData
	Today, Upcoming           []apptRow
	TodayTable, UpcomingTable apptTable
	Hosts                     []apptHost
	Form                      apptForm
	Error                     string
	Errors                    []string // every error, in Japanese, naming the form's fields
	Fields                    fieldMsgs
}

var apptStatusText = map[string]string{
	string(reception.AppointmentScheduled): "予定", string(reception.AppointmentArrived): "来訪済み",
	string(reception.AppointmentCancelled): "取消", string(reception.AppointmentExpired): "期限切れ",
}

func (p *pages) appointmentsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form := apptForm{Date: p.now().In(p.app.Loc).Format(time.DateOnly)}
	if id := r.URL.Query().Get("edit"); id != "" {
		if ap, err := p.app.Appointment(r.Context(), org.ID, id); err == nil {
			form = p.formOf(ap)
		}
	}
	p.renderAppointments(w, r, s, http.StatusOK, org, form, "", nil)
}

func (p *pages) renderAppointments(w http.ResponseWriter, r *http.Request, s *session, status int, org *OrgJSON, form apptForm, errMsg string, fields fieldMsgs, errs ...string) {
	ctx := r.Context()
	today, err := p.app.Appointments(ctx, org.ID, app.WhenToday)
	var upcoming []*reception.Appointment
	if err == nil {
		upcoming, err = p.app.Appointments(ctx, org.ID, app.WhenUpcoming)
	}
	var staff []*reception.Staff
	if err == nil {
		staff, err = p.app.Staff(ctx, org.ID)
	}
	if err != nil {
		p.loadFailed(w, r, err)
		return
	}
	d := appointmentsData{layoutData: p.layout(r, s, "来客予約", "appointments", org), Form: form, Error: errMsg, Errors: errs, Fields: fields,
		Today: p.apptRows(r, org.ID, today), Upcoming: p.apptRows(r, org.ID, upcoming)}
	d.TodayTable = apptTable{Rows: d.Today, OrgID: org.ID, CSRF: d.CSRF}
	d.UpcomingTable = apptTable{Rows: d.Upcoming, OrgID: org.ID, CSRF: d.CSRF}
	for _, st := range staff {
		if st.Active && st.UserID != "" {
			d.Hosts = append(d.Hosts, apptHost{ID: st.ID, Name: st.Name})
		}
	}
	p.render(w, status, adminAppointmentsTmpl, d)
}

func (p *pages) apptRows(r *http.Request, orgID string, list []*reception.Appointment) []apptRow {
	rows := make([]apptRow, 0, len(list))
	now := p.now()
	for i, aj := range appointmentsOut(r.Context(), p.app, orgID, list) {
		row := apptRow{AppointmentJSON: aj, When: p.timeText(aj.StartsAt), StatusText: apptStatusText[aj.Status],
			Changeable: app.Changeable(list[i], now)}
		var names []string
		for _, v := range aj.Visitors {
			names = append(names, strings.TrimSpace(v.Company+" "+v.Name))
		}
		row.Visitors = strings.Join(names, "、")
		if aj.Period {
			row.When += " 〜 " + aj.Until
		}
		rows = append(rows, row)
	}
	return rows
}

// formOf fills the form from an appointment, to change it.
func (p *pages) formOf(ap *reception.Appointment) apptForm {
	local := ap.StartsAt.In(p.app.Loc)
	f := apptForm{ID: ap.ID, Date: local.Format(time.DateOnly), Time: local.Format("15:04"), Hosts: ap.HostStaffIDs,
		Title: ap.Title, Room: ap.Room}
	if ap.PartySize > 0 {
		f.PartySize = strconv.Itoa(ap.PartySize)
	}
	if ap.Period {
		f.Until = ap.ValidUntil.Add(-time.Nanosecond).In(p.app.Loc).Format(time.DateOnly)
	}
	var others []string
	for i, v := range ap.Visitors {
		if i == 0 {
			f.Company, f.Name, f.Email = v.Company, v.Name, v.Email
			continue
		}
		others = append(others, strings.TrimSpace(strings.Join([]string{v.Company, v.Name, v.Email}, " / ")))
	}
	f.Other = strings.Join(others, "\n")
	return f
}

// readApptForm reads the posted form, and the input it makes; a field
// message when the date, time or party size cannot be read (the input
// then fails validation too, so that every error shows at once). Rows
// names each of the input's visitors as the form shows them.
func (p *pages) readApptForm(r *http.Request) (apptForm, app.AppointmentInput, fieldMsgs, []visitorRow) {
	v := r.PostForm
	f := apptForm{ID: strings.TrimSpace(v.Get("id")), Date: strings.TrimSpace(v.Get("date")), Time: strings.TrimSpace(v.Get("time")),
		Until: strings.TrimSpace(v.Get("until")), Hosts: v["hosts"], Company: v.Get("company"), Name: v.Get("name"),
		Email: v.Get("email"), Other: v.Get("other"), PartySize: strings.TrimSpace(v.Get("partySize")), Title: v.Get("title"), Room: v.Get("room")}
	in := app.AppointmentInput{Hosts: f.Hosts, Title: f.Title, Room: f.Room, Until: f.Until}
	var rows []visitorRow
	add := func(row visitorRow, company, name, email string) {
		vis := app.AppointmentVisitor{Company: strings.TrimSpace(company), Name: strings.TrimSpace(name), Email: strings.TrimSpace(email)}
		if vis != (app.AppointmentVisitor{}) { // blank rows are no visitor
			in.Visitors = append(in.Visitors, vis)
			rows = append(rows, row)
		}
	}
	add(visitorRow{}, f.Company, f.Name, f.Email)
	for i, line := range strings.Split(f.Other, "\n") {
		parts := strings.Split(line, "/")
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		add(visitorRow{Line: i + 1}, parts[0], parts[1], parts[2])
	}
	bad := fieldMsgs{}
	starts, err := time.ParseInLocation("2006-01-02 15:04", f.Date+" "+f.Time, p.app.Loc)
	if err != nil {
		bad["startsAt"] = "「日付」「時刻」：日付と時刻を入れてください"
	}
	in.StartsAt = starts
	if f.PartySize != "" {
		n, err := strconv.Atoi(f.PartySize)
		if err != nil {
			bad["partySize"] = "「人数」：人数は数字で入れてください"
			n = -1 // refused by the validation as well
		}
		// A number out of range is the validation's: 0〜1000 の数.
		in.PartySize = n
	}
	return f, in, bad, rows
}

// saveAppointment makes an appointment, or changes the one the form names.
func (p *pages) saveAppointment(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form, in, bad, rows := p.readApptForm(r)
	var err error
	notice := "appt-created"
	if form.ID != "" {
		notice = "appt-changed"
		_, err = p.app.UpdateAppointment(r.Context(), org.ID, form.ID, app.AppointmentChange{Hosts: &in.Hosts, Visitors: &in.Visitors,
			PartySize: &in.PartySize, Title: &in.Title, Room: &in.Room, StartsAt: &in.StartsAt, Until: &in.Until})
	} else {
		_, err = p.app.CreateAppointment(r.Context(), org.ID, in)
	}
	if err != nil {
		list, fields := apptFormErrors(r, err, bad, rows)
		p.renderAppointments(w, r, s, http.StatusBadRequest, org, form, "入力を確かめてください。", fields, list...)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/appointments", notice), http.StatusSeeOther)
}

func (p *pages) cancelAppointmentForm(w http.ResponseWriter, r *http.Request, s *session) {
	orgID := r.PathValue("org")
	if _, err := p.app.CancelAppointment(r.Context(), orgID, r.PathValue("id")); err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadRequest, "取り消せませんでした", msg, adminURL(orgID, "/appointments", ""))
		return
	}
	http.Redirect(w, r, adminURL(orgID, "/appointments", "appt-cancelled"), http.StatusSeeOther)
}
