package lineworks

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"unicode/utf8"
)

// Channel types reported in ChannelType.Type.
const (
	ChannelTypeSingleUser = "SINGLE_USER" // a 1:1 room with the bot
	ChannelTypeMultiUsers = "MULTI_USERS" // a room of several users
	ChannelTypeOrgUnit    = "ORGUNIT"     // an organisation unit's room (OrgUnitID set)
	ChannelTypeGroup      = "GROUP"       // a group's room (GroupID set)
)

// Limits of Channels.Create.
// See https://developers.worksmobile.com/jp/docs/bot-channel-create.
const (
	MaxChannelMembers = 100
	maxChannelTitle   = 1000
)

// Channel is a talk room the bot is in.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-get.
type Channel struct {
	DomainID    int64       `json:"domainId,omitempty"`
	ChannelID   string      `json:"channelId"`
	Title       string      `json:"title,omitempty"`
	ChannelType ChannelType `json:"channelType"`
}

// ChannelType says what kind of room a channel is.
type ChannelType struct {
	// Type is one of the ChannelType* constants.
	Type      string `json:"type,omitempty"`
	OrgUnitID string `json:"orgUnitId,omitempty"`
	GroupID   string `json:"groupId,omitempty"`
}

// ChannelCreate is the body of Channels.Create.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-create.
type ChannelCreate struct {
	// Members are 1 to 100 user IDs or login e-mails; the bot joins as well.
	Members []string `json:"members"`
	// Title is the room name, at most 1000 characters.
	Title string `json:"title,omitempty"`
}

// MembersPage is one page of Channels.MembersPage.
type MembersPage struct {
	// Members are user IDs.
	Members          []string         `json:"members"`
	ResponseMetaData ResponseMetaData `json:"responseMetaData"`
}

const (
	apiChannelGet     = "GET /bots/{botId}/channels/{channelId}"
	apiChannelMembers = "GET /bots/{botId}/channels/{channelId}/members"
	apiChannelLeave   = "DELETE /bots/{botId}/channels/{channelId}"
)

// Create creates a talk room with the bot and members and returns it (201
// Created with channelId and title). LINE WORKS allows only 10 of these a
// minute per tenant; the client paces them separately from other calls.
//
// Not idempotent: a timeout after the request was written is returned, not
// retried, because the room may exist.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-create.
func (s *ChannelsService) Create(ctx context.Context, botID int64, req ChannelCreate) (*Channel, error) {
	const method = "Channels.Create"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	if n := len(req.Members); n == 0 || n > MaxChannelMembers {
		return nil, fmt.Errorf("%w: %s: %d members, want 1..%d", ErrInvalidArgument, method, n, MaxChannelMembers)
	}
	for i, m := range req.Members {
		if m == "" {
			return nil, fmt.Errorf("%w: %s: members[%d] is empty", ErrInvalidArgument, method, i)
		}
	}
	if n := utf8.RuneCountInString(req.Title); n > maxChannelTitle {
		return nil, fmt.Errorf("%w: %s: title length %d exceeds %d", ErrInvalidArgument, method, n, maxChannelTitle)
	}
	var ch Channel
	_, err := s.client.do(ctx, request{method: http.MethodPost, api: apiChannelCreate, path: pathf("bots/%s/channels", botID), body: req}, &ch)
	if err != nil {
		return nil, err
	}
	return &ch, nil
}

// Get returns a talk room the bot is a member of.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-get.
func (s *ChannelsService) Get(ctx context.Context, botID int64, channelID string) (*Channel, error) {
	const method = "Channels.Get"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	if err := validString(method, "channelID", channelID); err != nil {
		return nil, err
	}
	var ch Channel
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiChannelGet, path: pathf("bots/%s/channels/%s", botID, channelID)}, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// MembersPage returns one page of the user IDs in a talk room. Pass
// page.ResponseMetaData.NextCursor as opts.Cursor for the next one, or use
// Members to iterate over all.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-members-list.
func (s *ChannelsService) MembersPage(ctx context.Context, botID int64, channelID string, opts PageOptions) (*MembersPage, error) {
	const method = "Channels.MembersPage"
	if err := validID(method, "botID", botID); err != nil {
		return nil, err
	}
	if err := validString(method, "channelID", channelID); err != nil {
		return nil, err
	}
	q, err := opts.values(method)
	if err != nil {
		return nil, err
	}
	var page MembersPage
	if _, err := s.client.do(ctx, request{method: http.MethodGet, api: apiChannelMembers, path: pathf("bots/%s/channels/%s/members", botID, channelID), query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Members iterates over the user IDs in a talk room, fetching pages of
// MaxPageCount as needed. Breaking out of the loop stops fetching; an error
// (for instance an invalid argument, or a 404 for a room the bot is not in)
// is yielded once and ends the iteration:
//
//	for userID, err := range client.Channels.Members(ctx, botID, channelID) {
//		if err != nil {
//			return err
//		}
//		…
//	}
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-members-list.
func (s *ChannelsService) Members(ctx context.Context, botID int64, channelID string) iter.Seq2[string, error] {
	return paginate(ctx, "Channels.Members", func(ctx context.Context, cursor string) ([]string, string, error) {
		p, err := s.MembersPage(ctx, botID, channelID, PageOptions{Count: MaxPageCount, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return p.Members, p.ResponseMetaData.NextCursor, nil
	})
}

// Leave makes the bot leave a talk room (204 No Content). LINE WORKS sends a
// leave callback event afterwards.
//
// See https://developers.worksmobile.com/jp/docs/bot-channel-leave.
func (s *ChannelsService) Leave(ctx context.Context, botID int64, channelID string) error {
	const method = "Channels.Leave"
	if err := validID(method, "botID", botID); err != nil {
		return err
	}
	if err := validString(method, "channelID", channelID); err != nil {
		return err
	}
	_, err := s.client.do(ctx, request{method: http.MethodDelete, api: apiChannelLeave, path: pathf("bots/%s/channels/%s", botID, channelID)}, nil)
	return err
}
