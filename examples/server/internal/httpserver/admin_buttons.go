package httpserver

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The buttons page: the kiosk's buttons, whom each notifies and how.

type buttonRow struct {
	app.ButtonInput
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
	Staff   []app.StaffInput
	Form    buttonForm
	Error   string
	Fields  fieldMsgs
	// HasDefaultRoom says whether "no room" falls back to the
	// organization's default room, or reaches staff only.
	HasDefaultRoom bool
}

var reminderChoices = []string{"1m", "3m", "5m", "10m", "15m", "30m", "1h"}

func (p *pages) buttonsPage(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form := buttonForm{Enabled: true, Order: "", Max: "1"}
	if id := r.URL.Query().Get("edit"); id != "" {
		if b, err := p.app.Button(r.Context(), org.ID, id); err == nil {
			form = buttonFormFrom(buttonOut(b))
		}
	}
	p.renderButtons(w, r, s, http.StatusOK, org, form, "", nil)
}

// buttonFormFrom is the form that edits b.
func buttonFormFrom(b app.ButtonInput) buttonForm {
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

func (p *pages) renderButtons(w http.ResponseWriter, r *http.Request, s *session, status int, org *OrgJSON, form buttonForm, errMsg string, fields fieldMsgs) {
	ctx := r.Context()
	buttons, err := p.app.Buttons(ctx, org.ID)
	var staff []*reception.Staff
	if err == nil {
		staff, err = p.app.Staff(ctx, org.ID)
	}
	rooms, rerr := p.rooms(r, org.ID)
	if err == nil {
		err = rerr
	}
	if err != nil {
		p.loadFailed(w, r, err)
		return
	}
	d := buttonsData{layoutData: p.layout(r, s, "ボタン", "buttons", org), Form: form, Error: errMsg, Fields: fields}
	for _, st := range staff {
		d.Staff = append(d.Staff, staffOut(st))
	}
	for _, rm := range rooms {
		if rm.LeftAt == nil {
			d.Rooms = append(d.Rooms, rm)
		}
	}
	d.HasDefaultRoom = org.Integration.DefaultChannelID != ""
	// A new button starts in the room the bot joined when there is just
	// one and nothing else to fall back to: the usual first set-up.
	if !form.Editing && form.Room == "" && r.Method == http.MethodGet && len(d.Rooms) == 1 && !d.HasDefaultRoom {
		d.Form.Room = d.Rooms[0].ChannelID
	}
	// A room the button uses but the bot left (or never reported) stays
	// selectable, so editing does not silently change it.
	if form.Room != "" && !slices.ContainsFunc(d.Rooms, func(rm roomView) bool { return rm.ChannelID == form.Room }) {
		d.Rooms = append(d.Rooms, roomView{RoomJSON: RoomJSON{ChannelID: form.Room, Title: "（参加していないルーム）"}})
	}
	for _, b := range buttons {
		d.Buttons = append(d.Buttons, buttonRowOf(buttonOut(b), d.Staff, rooms, org.Integration.DefaultChannelID))
	}
	p.render(w, status, adminButtonsTmpl, d)
}

// buttonRowOf is a button as the list shows it: where it notifies, whom,
// and when it reminds.
func buttonRowOf(b app.ButtonInput, staff []app.StaffInput, rooms []roomView, defaultRoom string) buttonRow {
	row := buttonRow{ButtonInput: b, LabelEn: b.Labels["en"]}
	for _, id := range b.Rooms {
		row.RoomText = append(row.RoomText, roomName(rooms, id))
	}
	// As notify routes a check-in: staff count when they are active and
	// have a LINE WORKS user ID.
	reachable := slices.ContainsFunc(staff, func(st app.StaffInput) bool {
		return slices.Contains(b.Staff, st.ID) && (st.Active == nil || *st.Active) && st.UserID != ""
	})
	switch {
	case len(b.Rooms) > 0:
	case reachable:
		row.RoomText = []string{"個別通知のみ (staff only)"}
	case defaultRoom != "":
		row.RoomText = []string{"既定のルーム (default room)"}
	default:
		row.NoRoute = true
	}
	for _, id := range b.Staff {
		n := id
		if i := slices.IndexFunc(staff, func(st app.StaffInput) bool { return st.ID == id }); i >= 0 && staff[i].Name != "" {
			n = staff[i].Name
		}
		row.StaffTxt = append(row.StaffTxt, n)
	}
	if b.Reminder != nil {
		row.Reminder = b.Reminder.After + " ×" + strconv.Itoa(max(b.Reminder.Max, 1))
		if b.Reminder.MentionAll {
			row.Reminder += " @All"
		}
	}
	return row
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

// buttonFormOf reads the buttons page's form.
func buttonFormOf(f url.Values) buttonForm {
	return buttonForm{Editing: f.Get("editing") == "1", ID: strings.TrimSpace(f.Get("id")), Label: f.Get("label"), LabelEn: f.Get("labelEn"),
		Order: strings.TrimSpace(f.Get("order")), Room: f.Get("room"), RoomOther: f.Get("roomOther"), After: f.Get("after"), Max: f.Get("max"),
		Enabled: f.Get("enabled") != "", PersonalFirst: f.Get("personalFirst") != "", MentionAll: f.Get("mentionAll") != "", Staff: f["staff"]}
}

// input is the button the form describes, as the API would receive it.
func (form buttonForm) input() (app.ButtonInput, error) {
	in := app.ButtonInput{ID: form.ID, Label: form.Label, Enabled: &form.Enabled, PersonalFirst: form.PersonalFirst, Staff: form.Staff, Rooms: []string{}}
	if in.Staff == nil {
		in.Staff = []string{}
	}
	if l := strings.TrimSpace(form.LabelEn); l != "" {
		in.Labels = map[string]string{"en": l}
	}
	if form.Order != "" {
		n, err := strconv.Atoi(form.Order)
		if err != nil {
			return in, &apiError{Status: http.StatusBadRequest, Field: "order", Msg: "order: 数値で入力してください (a number)"}
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
		in.Reminder = &app.ReminderInput{After: a, MentionAll: form.MentionAll, Max: m}
	}
	return in, nil
}

// mode is how the form saves: editing replaces the button, else a new one
// is created.
func (form buttonForm) mode() app.SaveMode {
	if form.Editing && form.ID != "" {
		return app.Put
	}
	return app.Create
}

func (p *pages) saveButton(w http.ResponseWriter, r *http.Request, s *session) {
	org, ok := p.adminOrg(w, r)
	if !ok {
		return
	}
	form := buttonFormOf(r.PostForm)
	in, err := form.input()
	if err == nil {
		_, _, err = p.app.SaveButton(r.Context(), org.ID, in, form.mode())
	}
	if err != nil {
		msg, fields := formError(r, err)
		fm := fieldMsgs{}
		for k, v := range fields {
			fm[buttonField(k)] = v
		}
		p.renderButtons(w, r, s, http.StatusBadRequest, org, form, msg, fm)
		return
	}
	http.Redirect(w, r, adminURL(org.ID, "/buttons", "saved"), http.StatusSeeOther)
}

func (p *pages) deleteButton(w http.ResponseWriter, r *http.Request, s *session) {
	org := r.PathValue("org")
	if err := p.app.DeleteButton(r.Context(), org, r.PathValue("id")); err != nil {
		msg, _ := formError(r, err)
		p.message(w, http.StatusBadRequest, "削除できませんでした", msg, adminURL(org, "/buttons", ""))
		return
	}
	http.Redirect(w, r, adminURL(org, "/buttons", "deleted"), http.StatusSeeOther)
}
