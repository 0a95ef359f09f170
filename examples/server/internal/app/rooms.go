package app

import (
	"context"
	"errors"

	"github.com/uketsuke/uketsuke/reception"
)

// Rooms lists the talk rooms the organization's bot is or was in.
func (a *App) Rooms(ctx context.Context, orgID string) ([]*reception.Room, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return nil, err
	}
	return a.Store.ListRooms(ctx, orgID)
}

// RefreshRooms reads the titles of the organization's rooms from LINE
// WORKS again (a room renamed, or joined while LINE WORKS did not answer)
// and returns how many changed, with the rooms.
func (a *App) RefreshRooms(ctx context.Context, orgID string) (int, []*reception.Room, error) {
	if _, err := a.Org(ctx, orgID); err != nil {
		return 0, nil, err
	}
	n, err := a.Notify.RefreshRoomTitles(ctx, orgID)
	if err != nil {
		if errors.Is(err, reception.ErrNotFound) || errors.Is(err, reception.ErrSecretOpen) {
			return 0, nil, err
		}
		return 0, nil, lineworksError(err)
	}
	rooms, err := a.Store.ListRooms(ctx, orgID)
	return n, rooms, err
}
