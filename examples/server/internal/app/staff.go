package app

import (
	"context"
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// StaffInput is a staff member as an admin edits them; the JSON API reads
// and writes staff in this shape.
type StaffInput struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	UserID  string   `json:"userId"`
	Buttons []string `json:"buttons"`
	Active  *bool    `json:"active,omitempty"`
}

// Staff lists an organization's staff directory.
func (a *App) Staff(ctx context.Context, orgID string) ([]*reception.Staff, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	return a.Store.ListStaff(ctx, orgID)
}

// StaffMember returns one staff member.
func (a *App) StaffMember(ctx context.Context, orgID, id string) (*reception.Staff, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	return a.Store.GetStaff(ctx, orgID, id)
}

// SaveStaff validates and stores a staff member and reports whether they
// are new.
func (a *App) SaveStaff(ctx context.Context, orgID string, in StaffInput, mode SaveMode) (*reception.Staff, bool, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, false, err
	}
	in.ID = idFor(in.ID, mode)
	get := func(ctx context.Context, id string) (*reception.Staff, error) {
		return a.Store.GetStaff(ctx, orgID, id)
	}
	return save(ctx, "staff member", in.ID, mode, get, func() (*reception.Staff, error) {
		userID, _ := lineworks.TrimCredential(in.UserID)
		st := &reception.Staff{ID: in.ID, OrgID: orgID, Name: strings.TrimSpace(in.Name), UserID: userID,
			ButtonIDs: in.Buttons, Active: in.Active == nil || *in.Active}
		return st, a.Store.PutStaff(ctx, st)
	})
}

// DeleteStaff deletes a staff member.
func (a *App) DeleteStaff(ctx context.Context, orgID, id string) error {
	if _, err := a.Org(ctx, orgID); err != nil {
		return err
	}
	return a.Store.DeleteStaff(ctx, orgID, id)
}
