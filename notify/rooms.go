package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/reception"
)

// RoomInfo is an API that can name a talk room. The API of
// LineWorksConnector implements it (GET /bots/{botId}/channels/{channelId},
// https://developers.worksmobile.com/jp/docs/bot-channel-get); an API
// without it leaves rooms untitled, as callbacks never carry titles.
type RoomInfo interface {
	ChannelTitle(ctx context.Context, botID int64, channelID string) (string, error)
}

// roomTitleTimeout bounds the title lookup of a join: the room is recorded
// (and its ID posted) whether or not LINE WORKS answers.
const roomTitleTimeout = 5 * time.Second

// roomTitle asks LINE WORKS for a room's title; "" when it cannot be had.
// A join callback only carries the channel ID, and admins pick rooms by
// name, not by UUID.
func (s *Service) roomTitle(ctx context.Context, org *reception.Organization, channelID string) string {
	ri, err := s.roomInfo(ctx, org)
	if err != nil {
		s.log.Warn("room title unavailable", "org", org.ID, "channel", channelID, "err", errorText(err))
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, roomTitleTimeout)
	defer cancel()
	title, err := ri.ChannelTitle(ctx, org.Integration.BotID, channelID)
	if err != nil {
		s.log.Warn("room title unavailable", "org", org.ID, "channel", channelID, "err", errorText(err))
		return ""
	}
	return title
}

// errNoRoomInfo is returned when the organization's API cannot name rooms.
var errNoRoomInfo = errors.New("notify: the LINE WORKS API in use cannot read room titles")

func (s *Service) roomInfo(ctx context.Context, org *reception.Organization) (RoomInfo, error) {
	full, err := s.store.GetOrganizationWithSecrets(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	api, err := s.connector.Connect(ctx, full)
	if err != nil {
		return nil, err
	}
	ri, ok := api.(RoomInfo)
	if !ok {
		return nil, errNoRoomInfo
	}
	return ri, nil
}

// RefreshRoomTitles reads the title of every room the organization's bot is
// in from LINE WORKS and stores those that changed (a room renamed, or one
// joined while LINE WORKS could not be asked). It returns how many rooms
// it updated; a room whose title cannot be read keeps the one it has.
func (s *Service) RefreshRoomTitles(ctx context.Context, orgID string) (int, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return 0, err
	}
	rooms, err := s.store.ListRooms(ctx, orgID)
	if err != nil {
		return 0, err
	}
	ri, err := s.roomInfo(ctx, org)
	if err != nil {
		return 0, fmt.Errorf("notify: refreshing room titles of %s: %w", orgID, err)
	}
	updated := 0
	var firstErr error
	for _, rm := range rooms {
		if rm.LeftAt != nil {
			continue
		}
		title, err := ri.ChannelTitle(ctx, org.Integration.BotID, rm.ChannelID)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if title == rm.Title {
			continue
		}
		rm.Title = title
		if err := s.store.PutRoom(ctx, rm); err != nil {
			return updated, err
		}
		updated++
	}
	if firstErr != nil && updated == 0 {
		return 0, fmt.Errorf("notify: refreshing room titles of %s: %w", orgID, firstErr)
	}
	return updated, nil
}
