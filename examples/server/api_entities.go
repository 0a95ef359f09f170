package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// ---- buttons ----

type reminderJSON struct {
	// After is a Go duration such as "5m"; "" or "0" disables reminders.
	After      string `json:"after"`
	MentionAll bool   `json:"mentionAll"`
	Max        int    `json:"max"`
}

type buttonJSON struct {
	ID            string            `json:"id"`
	Label         string            `json:"label"`
	Labels        map[string]string `json:"labels,omitempty"`
	Order         int               `json:"order"`
	Enabled       *bool             `json:"enabled,omitempty"`
	Rooms         []string          `json:"rooms"`
	Staff         []string          `json:"staff"`
	PersonalFirst bool              `json:"personalFirst"`
	Template      string            `json:"template,omitempty"`
	Reminder      *reminderJSON     `json:"reminder,omitempty"`
}

func buttonOut(b *reception.Button) buttonJSON {
	enabled := b.Enabled
	out := buttonJSON{ID: b.ID, Label: b.Label, Labels: b.Labels, Order: b.Order, Enabled: &enabled,
		Rooms: b.ChannelIDs, Staff: b.StaffIDs, PersonalFirst: b.PersonalFirst, Template: b.Template}
	if out.Rooms == nil {
		out.Rooms = []string{}
	}
	if out.Staff == nil {
		out.Staff = []string{}
	}
	if b.Reminder.After > 0 {
		out.Reminder = &reminderJSON{After: formatDuration(b.Reminder.After), MentionAll: b.Reminder.MentionAll, Max: b.Reminder.Max}
	}
	return out
}

// formatDuration writes 5m rather than 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// toButton checks the input and builds the button; the domain's own checks
// (label length, IDs) run in the store.
func (a *api) toButton(r *http.Request, orgID string, in *buttonJSON) (*reception.Button, error) {
	b := &reception.Button{ID: in.ID, OrgID: orgID, Label: strings.TrimSpace(in.Label), Labels: in.Labels, Order: in.Order,
		Enabled: in.Enabled == nil || *in.Enabled, PersonalFirst: in.PersonalFirst, Template: in.Template}
	// A template that cannot render would only show at the next check-in.
	if err := notify.ValidateNotificationTemplate(b.Template); err != nil {
		return nil, err
	}
	for i, room := range in.Rooms {
		c, _ := lineworks.TrimCredential(room)
		if c == "" {
			return nil, &apiError{Status: http.StatusBadRequest, Field: fmt.Sprintf("rooms[%d]", i), Msg: fmt.Sprintf("rooms[%d] is empty", i)}
		}
		b.ChannelIDs = append(b.ChannelIDs, c)
	}
	for i, id := range in.Staff {
		field := fmt.Sprintf("staff[%d]", i)
		if _, err := a.store.GetStaff(r.Context(), orgID, id); err != nil {
			if errors.Is(err, reception.ErrNotFound) || errors.Is(err, reception.ErrInvalid) {
				return nil, &apiError{Status: http.StatusBadRequest, Field: field, Msg: field + ": no staff member " + strconv.Quote(id)}
			}
			return nil, err
		}
		b.StaffIDs = append(b.StaffIDs, id)
	}
	if in.Reminder != nil {
		if after := strings.TrimSpace(in.Reminder.After); after != "" && after != "0" {
			d, err := time.ParseDuration(after)
			if err != nil {
				return nil, &apiError{Status: http.StatusBadRequest, Field: "reminder.after", Msg: "reminder.after: not a duration such as 5m"}
			}
			b.Reminder.After = d
		}
		b.Reminder.MentionAll, b.Reminder.Max = in.Reminder.MentionAll, in.Reminder.Max
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// ---- staff ----

type staffJSON struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	UserID  string   `json:"userId"`
	Buttons []string `json:"buttons"`
	Active  *bool    `json:"active,omitempty"`
}

func staffOut(s *reception.Staff) staffJSON {
	active := s.Active
	out := staffJSON{ID: s.ID, Name: s.Name, UserID: s.UserID, Buttons: s.ButtonIDs, Active: &active}
	if out.Buttons == nil {
		out.Buttons = []string{}
	}
	return out
}

// ---- rooms ----

type roomJSON struct {
	ChannelID string     `json:"channelId"`
	Title     string     `json:"title,omitempty"`
	JoinedAt  time.Time  `json:"joinedAt"`
	LeftAt    *time.Time `json:"leftAt,omitempty"`
}

func (a *api) listRooms(w http.ResponseWriter, r *http.Request) error {
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	rooms, err := a.store.ListRooms(r.Context(), org.ID)
	if err != nil {
		return err
	}
	out := make([]roomJSON, 0, len(rooms))
	for _, rm := range rooms {
		out = append(out, roomJSON{ChannelID: rm.ChannelID, Title: rm.Title, JoinedAt: rm.JoinedAt, LeftAt: rm.LeftAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type roomsRefreshedJSON struct {
	Updated int        `json:"updated"`
	Rooms   []roomJSON `json:"rooms"`
}

// refreshRooms reads the titles of the organization's rooms from LINE
// WORKS again (a room renamed, or joined while LINE WORKS did not answer).
func (a *api) refreshRooms(w http.ResponseWriter, r *http.Request) error {
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	n, err := a.svc.RefreshRoomTitles(r.Context(), org.ID)
	if err != nil {
		if errors.Is(err, reception.ErrNotFound) || errors.Is(err, reception.ErrSecretOpen) {
			return err
		}
		return credentialAPIError(err)
	}
	rooms, err := a.store.ListRooms(r.Context(), org.ID)
	if err != nil {
		return err
	}
	out := roomsRefreshedJSON{Updated: n, Rooms: make([]roomJSON, 0, len(rooms))}
	for _, rm := range rooms {
		out.Rooms = append(out.Rooms, roomJSON{ChannelID: rm.ChannelID, Title: rm.Title, JoinedAt: rm.JoinedAt, LeftAt: rm.LeftAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ---- visits ----

type visitorJSON struct {
	Name    string `json:"name"`
	Company string `json:"company,omitempty"`
	Count   int    `json:"count,omitempty"`
	Note    string `json:"note,omitempty"`
}

type visitJSON struct {
	ID            string      `json:"id"`
	Visitor       visitorJSON `json:"visitor"`
	ButtonID      string      `json:"buttonId"`
	Button        string      `json:"button,omitempty"`
	StaffID       string      `json:"staffId,omitempty"`
	Status        string      `json:"status"`
	HandlerUserID string      `json:"handlerUserId,omitempty"`
	Handler       string      `json:"handler,omitempty"`
	HandledAt     *time.Time  `json:"handledAt,omitempty"`
	Reminders     int         `json:"reminders"`
	CreatedAt     time.Time   `json:"createdAt"`
}

const (
	defaultVisitLimit = 500
	maxVisitLimit     = 10000
)

// visitFilter reads date (YYYY-MM-DD in the server's time zone) or from/to
// (RFC 3339 or dates), status and limit.
func (a *api) visitFilter(r *http.Request) (reception.VisitFilter, error) {
	q := r.URL.Query()
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
		d, err := time.ParseInLocation(time.DateOnly, v, a.loc)
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

func (a *api) listVisits(w http.ResponseWriter, r *http.Request) error {
	org, err := a.orgOf(r)
	if err != nil {
		return err
	}
	f, err := a.visitFilter(r)
	if err != nil {
		return err
	}
	visits, err := a.store.ListVisits(r.Context(), org.ID, f)
	if err != nil {
		return err
	}
	// Names for the handler and button columns.
	labels, names := map[string]string{}, map[string]string{}
	if bs, err := a.store.ListButtons(r.Context(), org.ID); err == nil {
		for _, b := range bs {
			labels[b.ID] = b.Label
		}
	}
	if ss, err := a.store.ListStaff(r.Context(), org.ID); err == nil {
		for _, s := range ss {
			names[s.UserID] = s.Name
		}
	}
	out := make([]visitJSON, 0, len(visits))
	for _, v := range visits {
		vj := visitJSON{ID: v.ID, Visitor: visitorJSON{Name: v.VisitorName, Company: v.Company, Count: v.PartySize, Note: v.Note},
			ButtonID: v.ButtonID, Button: labels[v.ButtonID], StaffID: v.StaffID, Status: string(v.Status),
			HandlerUserID: v.HandlerUserID, Handler: names[v.HandlerUserID], Reminders: v.Reminders, CreatedAt: v.CreatedAt}
		if !v.HandledAt.IsZero() {
			t := v.HandledAt
			vj.HandledAt = &t
		}
		out = append(out, vj)
	}
	if wantsCSV(r) {
		return a.writeVisitsCSV(w, org.ID, out)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func wantsCSV(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/csv") || r.URL.Query().Get("format") == "csv"
}

var visitCSVHeader = []string{"visit_id", "checked_in_at", "visitor_name", "company", "party_size", "button_id", "button", "staff_id", "status", "handler_user_id", "handler", "handled_at", "reminders"}

// writeVisitsCSV writes UTF-8 with a BOM (so Excel reads Japanese right),
// times in the server's zone, and defuses cells a spreadsheet would run as
// formulas.
func (a *api) writeVisitsCSV(w http.ResponseWriter, orgID string, visits []visitJSON) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="visits-%s-%s.csv"`, orgID, a.now().In(a.loc).Format("20060102")))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	_ = cw.Write(visitCSVHeader)
	ts := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(a.loc).Format(time.RFC3339)
	}
	for _, v := range visits {
		created := v.CreatedAt
		count := ""
		if v.Visitor.Count > 0 {
			count = strconv.Itoa(v.Visitor.Count)
		}
		_ = cw.Write([]string{v.ID, ts(&created), cell(v.Visitor.Name), cell(v.Visitor.Company), count, v.ButtonID, cell(v.Button),
			v.StaffID, v.Status, cell(v.HandlerUserID), cell(v.Handler), ts(v.HandledAt), strconv.Itoa(v.Reminders)})
	}
	cw.Flush()
	return cw.Error()
}

// cell prefixes text a spreadsheet would evaluate (=, +, -, @, tab, CR).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ---- check-ins ----

type checkInJSON struct {
	ButtonID string      `json:"buttonId"`
	Visitor  visitorJSON `json:"visitor"`
	StaffID  string      `json:"staffId,omitempty"`
}

func (a *api) checkIn(w http.ResponseWriter, r *http.Request) error {
	var in checkInJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	orgID := r.PathValue("org")
	v, err := a.svc.CheckIn(r.Context(), orgID, notify.CheckInRequest{ButtonID: in.ButtonID, StaffID: in.StaffID,
		Visitor: notify.Visitor{Name: in.Visitor.Name, Company: in.Visitor.Company, Count: in.Visitor.Count, Note: in.Visitor.Note}})
	if err != nil {
		return checkInError(err)
	}
	writeJSON(w, http.StatusCreated, a.checkInOut(r.Context(), orgID, v))
	return nil
}

// checkInOutJSON is the check-in answer. The visit is stored and its
// notifications queued in every case; Delivery says whether the kiosk may
// tell the visitor staff were notified ("queued") or must show Fallback
// ("unavailable").
type checkInOutJSON struct {
	VisitID  string `json:"visitId"`
	Status   string `json:"status"`
	Delivery string `json:"delivery"`
	// Fallback is the organization's kiosk fallback text; only with
	// "unavailable".
	Fallback string `json:"fallback,omitempty"`
}

// checkInOut builds the answer; the organization is read again only when
// the fallback text is needed, which keeps the usual check-in at one
// extra read (Health's).
func (a *api) checkInOut(ctx context.Context, orgID string, v *reception.Visit) checkInOutJSON {
	out := checkInOutJSON{VisitID: v.ID, Status: string(v.Status)}
	out.Delivery, _ = a.checkInDelivery(ctx, orgID)
	if out.Delivery == deliveryUnavailable {
		out.Fallback = reception.DefaultKioskFallback
		if org, err := a.store.GetOrganization(ctx, orgID); err == nil {
			out.Fallback = org.KioskFallbackText()
		}
	}
	return out
}

// checkInError names the field of CheckIn's not-found errors.
func checkInError(err error) error {
	if errors.Is(err, reception.ErrNotFound) && strings.Contains(err.Error(), "buttonId") {
		return &apiError{Status: http.StatusBadRequest, Field: "buttonId", Msg: "buttonId: no such button"}
	}
	if errors.Is(err, notify.ErrNoRoute) {
		return &apiError{Status: http.StatusBadRequest, Field: "buttonId", Msg: strings.TrimPrefix(err.Error(), "reception: invalid: notify: ")}
	}
	return err
}

// buttons is the API resource of reception buttons.
func (a *api) buttons() resource[reception.Button, buttonJSON] {
	return resource[reception.Button, buttonJSON]{
		a: a, kind: "button",
		list: a.store.ListButtons, get: a.store.GetButton, del: a.store.DeleteButton,
		out: buttonOut, id: func(j *buttonJSON) *string { return &j.ID },
		save: func(r *http.Request, orgID string, in *buttonJSON) (*reception.Button, error) {
			b, err := a.toButton(r, orgID, in)
			if err != nil {
				return nil, err
			}
			return b, a.store.PutButton(r.Context(), b)
		},
	}
}

// staff is the API resource of the staff directory.
func (a *api) staff() resource[reception.Staff, staffJSON] {
	return resource[reception.Staff, staffJSON]{
		a: a, kind: "staff member",
		list: a.store.ListStaff, get: a.store.GetStaff, del: a.store.DeleteStaff,
		out: staffOut, id: func(j *staffJSON) *string { return &j.ID },
		save: func(r *http.Request, orgID string, in *staffJSON) (*reception.Staff, error) {
			userID, _ := lineworks.TrimCredential(in.UserID)
			st := &reception.Staff{ID: in.ID, OrgID: orgID, Name: strings.TrimSpace(in.Name), UserID: userID,
				ButtonIDs: in.Buttons, Active: in.Active == nil || *in.Active}
			return st, a.store.PutStaff(r.Context(), st)
		},
	}
}
