package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify"
	"github.com/uketsuke/uketsuke/reception"
)

// ButtonInput is a reception button as an admin edits it; the JSON API
// reads and writes buttons in this shape.
type ButtonInput struct {
	ID            string            `json:"id"`
	Label         string            `json:"label"`
	Labels        map[string]string `json:"labels,omitempty"`
	Order         int               `json:"order"`
	Enabled       *bool             `json:"enabled,omitempty"`
	Rooms         []string          `json:"rooms"`
	Staff         []string          `json:"staff"`
	PersonalFirst bool              `json:"personalFirst"`
	Template      string            `json:"template,omitempty"`
	Reminder      *ReminderInput    `json:"reminder,omitempty"`
}

// ReminderInput is a button's reminder policy.
type ReminderInput struct {
	// After is a Go duration such as "5m"; "" or "0" disables reminders.
	After      string `json:"after"`
	MentionAll bool   `json:"mentionAll"`
	Max        int    `json:"max"`
}

// Buttons lists an organization's buttons.
func (a *App) Buttons(ctx context.Context, orgID string) ([]*reception.Button, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	return a.Store.ListButtons(ctx, orgID)
}

// Button returns one button.
func (a *App) Button(ctx context.Context, orgID, id string) (*reception.Button, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	return a.Store.GetButton(ctx, orgID, id)
}

// SaveButton validates and stores a button and reports whether it is new.
func (a *App) SaveButton(ctx context.Context, orgID string, in ButtonInput, mode SaveMode) (*reception.Button, bool, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, false, err
	}
	in.ID = idFor(in.ID, mode)
	get := func(ctx context.Context, id string) (*reception.Button, error) {
		return a.Store.GetButton(ctx, orgID, id)
	}
	return save(ctx, "button", in.ID, mode, get, func() (*reception.Button, error) {
		b, err := a.toButton(ctx, orgID, &in)
		if err != nil {
			return nil, err
		}
		return b, a.Store.PutButton(ctx, b)
	})
}

// DeleteButton deletes a button.
func (a *App) DeleteButton(ctx context.Context, orgID, id string) error {
	if _, err := a.Org(ctx, orgID); err != nil {
		return err
	}
	return a.Store.DeleteButton(ctx, orgID, id)
}

// toButton checks the input and builds the button; the domain's own checks
// (label length, IDs) run in Validate and the store.
func (a *App) toButton(ctx context.Context, orgID string, in *ButtonInput) (*reception.Button, error) {
	b := &reception.Button{ID: in.ID, OrgID: orgID, Label: strings.TrimSpace(in.Label), Labels: in.Labels, Order: in.Order,
		Enabled: in.Enabled == nil || *in.Enabled, PersonalFirst: in.PersonalFirst, Template: in.Template}
	// A template that cannot render would only show at the next check-in.
	if err := notify.ValidateNotificationTemplate(b.Template); err != nil {
		return nil, err
	}
	for i, room := range in.Rooms {
		c, _ := lineworks.TrimCredential(room)
		if c == "" {
			return nil, invalid(fmt.Sprintf("rooms[%d]", i), fmt.Sprintf("rooms[%d] is empty", i))
		}
		b.ChannelIDs = append(b.ChannelIDs, c)
	}
	for i, id := range in.Staff {
		field := fmt.Sprintf("staff[%d]", i)
		if _, err := a.Store.GetStaff(ctx, orgID, id); err != nil {
			if errors.Is(err, reception.ErrNotFound) || errors.Is(err, reception.ErrInvalid) {
				return nil, invalid(field, field+": no staff member "+strconv.Quote(id))
			}
			return nil, err
		}
		b.StaffIDs = append(b.StaffIDs, id)
	}
	if in.Reminder != nil {
		if after := strings.TrimSpace(in.Reminder.After); after != "" && after != "0" {
			d, err := time.ParseDuration(after)
			if err != nil {
				return nil, invalid("reminder.after", "reminder.after: not a duration such as 5m")
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
