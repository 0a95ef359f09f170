package httpserver

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// VisitJSON is a visit in the JSON API.
type VisitJSON struct {
	ID            string      `json:"id"`
	Visitor       app.Visitor `json:"visitor"`
	ButtonID      string      `json:"buttonId"`
	Button        string      `json:"button,omitempty"`
	StaffID       string      `json:"staffId,omitempty"`
	Status        string      `json:"status"`
	HandlerUserID string      `json:"handlerUserId,omitempty"`
	Handler       string      `json:"handler,omitempty"`
	HandledAt     *time.Time  `json:"handledAt,omitempty"`
	Reminders     int         `json:"reminders"`
	CreatedAt     time.Time   `json:"createdAt"`
	// ErasedAt is when the visitor's personal data was erased on request.
	ErasedAt *time.Time `json:"erasedAt,omitempty"`
	// AppointmentID is the appointment checked in with a reception code;
	// Appointment its details.
	AppointmentID string                `json:"appointmentId,omitempty"`
	Appointment   *VisitAppointmentJSON `json:"appointment,omitempty"`
}

// VisitAppointmentJSON is what a visit shows of its appointment.
type VisitAppointmentJSON struct {
	StartsAt time.Time `json:"startsAt"`
	Title    string    `json:"title,omitempty"`
	Room     string    `json:"room,omitempty"`
	// Hosts are the hosts' names.
	Hosts []string `json:"hosts"`
}

const (
	defaultVisitLimit = 500
	maxVisitLimit     = 10000
)

// visitFilter reads date (YYYY-MM-DD in the server's time zone) or from/to
// (RFC 3339 or dates), status and limit.
func visitFilter(q url.Values, loc *time.Location) (reception.VisitFilter, error) {
	f := reception.VisitFilter{Status: reception.VisitStatus(q.Get("status")), Limit: defaultVisitLimit}
	if f.Status != "" && !f.Status.Valid() {
		return f, &apiError{Status: http.StatusBadRequest, Field: "status", Msg: "status must be waiting, accepted, escalated or closed"}
	}
	parse := func(field string, end bool) (time.Time, error) {
		v := q.Get(field)
		if v == "" {
			return time.Time{}, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return time.Time{}, &apiError{Status: http.StatusBadRequest, Field: field, Msg: field + " must be a date (2006-01-02) or an RFC 3339 time"}
		}
		if end {
			d = d.AddDate(0, 0, 1) // "to" a date includes that day
		}
		return d, nil
	}
	var err error
	if q.Get("date") != "" {
		if f.From, err = parse("date", false); err != nil {
			return f, err
		}
		f.To = f.From.AddDate(0, 0, 1)
	} else {
		if f.From, err = parse("from", false); err != nil {
			return f, err
		}
		if f.To, err = parse("to", true); err != nil {
			return f, err
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxVisitLimit {
			return f, &apiError{Status: http.StatusBadRequest, Field: "limit", Msg: fmt.Sprintf("limit must be between 1 and %d", maxVisitLimit)}
		}
		f.Limit = n
	}
	return f, nil
}

// visitsOut is visits in the API's shape, every time in loc (the
// server's zone, with its offset), as the CSV writes them.
func visitsOut(visits []app.Visit, loc *time.Location) []VisitJSON {
	out := make([]VisitJSON, 0, len(visits))
	for _, v := range visits {
		vj := VisitJSON{ID: v.ID, Visitor: app.Visitor{Name: v.VisitorName, Company: v.Company, Count: v.PartySize, Note: v.Note},
			ButtonID: v.ButtonID, Button: v.Button, StaffID: v.StaffID, Status: string(v.Status),
			HandlerUserID: v.HandlerUserID, Handler: v.Handler, Reminders: v.Reminders, CreatedAt: inZone(v.CreatedAt, loc)}
		if !v.HandledAt.IsZero() {
			t := inZone(v.HandledAt, loc)
			vj.HandledAt = &t
		}
		vj.AppointmentID = v.AppointmentID
		if ap := v.Appointment; ap != nil {
			vj.Appointment = &VisitAppointmentJSON{StartsAt: inZone(ap.StartsAt, loc), Title: ap.Title, Room: ap.Room, Hosts: append([]string{}, v.Hosts...)}
		}
		for _, e := range v.Events {
			if e.Kind == reception.EventErased {
				t := inZone(e.At, loc)
				vj.ErasedAt = &t
			}
		}
		out = append(out, vj)
	}
	return out
}

// orgVisits reads the organization's visits that r's query asks for, as
// the API lists them; the admin's visits page and its CSV share it.
func orgVisits(r *http.Request, a *app.App, q url.Values) (string, []VisitJSON, error) {
	org, err := a.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		return "", nil, err
	}
	f, err := visitFilter(q, a.Loc)
	if err != nil {
		return "", nil, err
	}
	visits, err := a.Visits(r.Context(), org.ID, f)
	if err != nil {
		return "", nil, err
	}
	return org.ID, visitsOut(visits, a.Loc), nil
}

func (a *api) listVisits(w http.ResponseWriter, r *http.Request) error {
	orgID, visits, err := orgVisits(r, a.app, r.URL.Query())
	if err != nil {
		return err
	}
	if wantsCSV(r) {
		return writeVisitsCSV(w, orgID, a.app.Now(), a.app.Loc, visits)
	}
	writeJSON(w, http.StatusOK, visits)
	return nil
}

// eraseRequest is the optional body of POST …/visits/{id}/erase.
type eraseRequest struct {
	Note string `json:"note"`
}

// eraseVisit erases one visitor's personal data now (a data subject's
// request) and answers the visit as it is after.
func (a *api) eraseVisit(w http.ResponseWriter, r *http.Request) error {
	org, err := a.app.Org(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	var req eraseRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	v, err := a.app.EraseVisit(r.Context(), org.ID, r.PathValue("id"), strings.TrimSpace(req.Note))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, visitsOut([]app.Visit{{Visit: v}}, a.app.Loc)[0])
	return nil
}

func wantsCSV(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/csv") || r.URL.Query().Get("format") == "csv"
}

var visitCSVHeader = []string{"visit_id", "checked_in_at", "visitor_name", "company", "party_size", "button_id", "button", "staff_id", "status", "handler_user_id", "handler", "handled_at", "reminders",
	"appointment_id", "appointment_starts_at", "appointment_title", "appointment_room", "appointment_hosts"}

// writeVisitsCSV writes UTF-8 with a BOM (so Excel reads Japanese right),
// times in the server's zone, and defuses cells a spreadsheet would run as
// formulas.
func writeVisitsCSV(w http.ResponseWriter, orgID string, now time.Time, loc *time.Location, visits []VisitJSON) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="visits-%s-%s.csv"`, orgID, now.In(loc).Format("20060102")))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write(visitCSVHeader)
	ts := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	for _, v := range visits {
		created := v.CreatedAt
		count := ""
		if v.Visitor.Count > 0 {
			count = strconv.Itoa(v.Visitor.Count)
		}
		row := []string{v.ID, ts(&created), cell(v.Visitor.Name), cell(v.Visitor.Company), count, v.ButtonID, cell(v.Button),
			v.StaffID, v.Status, cell(v.HandlerUserID), cell(v.Handler), ts(v.HandledAt), strconv.Itoa(v.Reminders)}
		_ = cw.Write(append(row, appointmentCells(v, ts)...))
	}
	cw.Flush()
	return cw.Error()
}

// appointmentCells are the CSV's appointment columns of v: empty for a
// visit without an appointment.
func appointmentCells(v VisitJSON, ts func(*time.Time) string) []string {
	ap := v.Appointment
	if ap == nil {
		return []string{v.AppointmentID, "", "", "", ""}
	}
	starts := ap.StartsAt
	return []string{v.AppointmentID, ts(&starts), cell(ap.Title), cell(ap.Room), cell(strings.Join(ap.Hosts, " / "))}
}

// cell prefixes text a spreadsheet would evaluate (=, +, -, @, tab, CR).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// inZone is t in loc, the server's time zone (UKETSUKE_TIME_ZONE): the
// API writes every time of appointments and visits with that zone's
// offset, whichever zone the store or the caller gave it in. A nil loc
// leaves t as it is.
func inZone(t time.Time, loc *time.Location) time.Time {
	if loc == nil || t.IsZero() {
		return t
	}
	return t.In(loc)
}
