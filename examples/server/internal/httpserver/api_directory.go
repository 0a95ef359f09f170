package httpserver

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/examples/server/internal/app"
	"github.com/uketsuke/uketsuke/reception"
)

// The buttons and the staff directory: the JSON API reads and writes them
// in the shape the admin edits them (app.ButtonInput, app.StaffInput).

func buttonOut(b *reception.Button) app.ButtonInput {
	enabled := b.Enabled
	out := app.ButtonInput{ID: b.ID, Label: b.Label, Labels: b.Labels, Order: b.Order, Enabled: &enabled,
		Rooms: b.ChannelIDs, Staff: b.StaffIDs, PersonalFirst: b.PersonalFirst, Template: b.Template}
	if out.Rooms == nil {
		out.Rooms = []string{}
	}
	if out.Staff == nil {
		out.Staff = []string{}
	}
	if b.Reminder.After > 0 {
		out.Reminder = &app.ReminderInput{After: formatDuration(b.Reminder.After), MentionAll: b.Reminder.MentionAll, Max: b.Reminder.Max}
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

func staffOut(s *reception.Staff) app.StaffInput {
	active := s.Active
	out := app.StaffInput{ID: s.ID, Name: s.Name, UserID: s.UserID, Buttons: s.ButtonIDs, Active: &active}
	if out.Buttons == nil {
		out.Buttons = []string{}
	}
	return out
}

// outAll writes a list in its JSON form ([] rather than null when empty).
func outAll[T, J any](w http.ResponseWriter, items []*T, err error, out func(*T) J) error {
	if err != nil {
		return err
	}
	list := make([]J, 0, len(items))
	for _, it := range items {
		list = append(list, out(it))
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// outOne writes one entity in its JSON form.
func outOne[T, J any](w http.ResponseWriter, item *T, err error, out func(*T) J) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out(item))
	return nil
}

// noContent answers a DELETE.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// saveFrom answers POST (mode app.Create) and PUT (app.Put) of a button
// or staff member: it decodes the body into in (whose ID is id), checks a
// PUT's ID against the URL's, saves and answers 201 for a new entity.
func saveFrom[I, T, J any](w http.ResponseWriter, r *http.Request, mode app.SaveMode, in *I, id *string,
	save func(context.Context, string, I, app.SaveMode) (*T, bool, error), out func(*T) J) error {
	if err := decode(w, r, in); err != nil {
		return err
	}
	if mode == app.Put {
		if *id != "" && *id != r.PathValue("id") {
			return &apiError{Status: http.StatusBadRequest, Field: "id", Msg: "id differs from the ID in the URL"}
		}
		*id = r.PathValue("id")
	}
	item, created, err := save(r.Context(), r.PathValue("org"), *in, mode)
	if err != nil {
		return err
	}
	writeJSON(w, createdOrOK(created), out(item))
	return nil
}

func (a *api) listButtons(w http.ResponseWriter, r *http.Request) error {
	buttons, err := a.app.Buttons(r.Context(), r.PathValue("org"))
	return outAll(w, buttons, err, buttonOut)
}

func (a *api) getButton(w http.ResponseWriter, r *http.Request) error {
	b, err := a.app.Button(r.Context(), r.PathValue("org"), r.PathValue("id"))
	return outOne(w, b, err, buttonOut)
}

func (a *api) createButton(w http.ResponseWriter, r *http.Request) error {
	var in app.ButtonInput
	return saveFrom(w, r, app.Create, &in, &in.ID, a.app.SaveButton, buttonOut)
}

func (a *api) putButton(w http.ResponseWriter, r *http.Request) error {
	var in app.ButtonInput
	return saveFrom(w, r, app.Put, &in, &in.ID, a.app.SaveButton, buttonOut)
}

func (a *api) deleteButton(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, a.app.DeleteButton(r.Context(), r.PathValue("org"), r.PathValue("id")))
}

func (a *api) listStaff(w http.ResponseWriter, r *http.Request) error {
	staff, err := a.app.Staff(r.Context(), r.PathValue("org"))
	return outAll(w, staff, err, staffOut)
}

func (a *api) getStaff(w http.ResponseWriter, r *http.Request) error {
	st, err := a.app.StaffMember(r.Context(), r.PathValue("org"), r.PathValue("id"))
	return outOne(w, st, err, staffOut)
}

func (a *api) createStaff(w http.ResponseWriter, r *http.Request) error {
	var in app.StaffInput
	return saveFrom(w, r, app.Create, &in, &in.ID, a.app.SaveStaff, staffOut)
}

func (a *api) putStaff(w http.ResponseWriter, r *http.Request) error {
	var in app.StaffInput
	return saveFrom(w, r, app.Put, &in, &in.ID, a.app.SaveStaff, staffOut)
}

func (a *api) deleteStaff(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, a.app.DeleteStaff(r.Context(), r.PathValue("org"), r.PathValue("id")))
}
