package lineworkstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/uketsuke/uketsuke/lineworks"
)

// This file plays the part of a person using the LINE WORKS app: inviting a
// bot into a talk room, which makes LINE WORKS post a signed "join" event to
// the bot's callback URL (https://developers.worksmobile.com/jp/docs/bot-callback-join).

// ErrBotNotFound is returned by InviteBot and CallbackSenderFor for a bot the
// fake does not have.
var ErrBotNotFound = errors.New("lineworkstest: no such bot")

// ErrBotNotInvitable is returned by InviteBot when no member could invite
// the bot on the real service: it is not registered to the fake's domain
// (POST /bots/{botId}/domains/{domainId}, https://developers.worksmobile.com/jp/docs/bot-domain-register),
// or it does not allow being invited into rooms (enableGroupJoin,
// https://developers.worksmobile.com/jp/docs/bot-create).
var ErrBotNotInvitable = errors.New("lineworkstest: the bot cannot be invited")

// CallbackSenderFor returns a CallbackSender that signs as botID with the
// bot's current secret (the latest one POST /bots/{botId}/secret issued)
// and posts to its callback URL with the fake's callback client. URL is
// empty when the bot has callbacks disabled or no callback URL. The sender
// is a snapshot: after a reissue, ask again.
func (s *Server) CallbackSenderFor(botID int64) (CallbackSender, error) {
	rs, unlock := s.res()
	defer unlock()
	r := rs.bots[botID]
	if r == nil {
		return CallbackSender{}, fmt.Errorf("%w: %d", ErrBotNotFound, botID)
	}
	cs := CallbackSender{BotID: botID, Secret: r.bot.BotSecret, Client: s.callbackClient}
	if r.bot.EnableCallback {
		cs.URL = r.bot.CallbackURL
	}
	return cs, nil
}

// InviteBot does what a member does in the LINE WORKS app to add the bot to
// a new talk room named title: the fake's sign-in user (AdminUserID unless
// SetSignInUser changed it) creates a MULTI_USERS room in DefaultDomainID
// with the bot, so that GET /bots/{botId}/channels/{channelId} answers its
// title and channelType (https://developers.worksmobile.com/jp/docs/bot-channel-get),
// and LINE WORKS posts a "join" event for the room to the bot's callback
// URL, signed with the bot's current secret.
//
// As on the real service, the bot must be registered to the domain and
// allow room invitations (ErrBotNotInvitable otherwise); no event is sent
// when its callbacks are disabled or its channelEvents leave out "join",
// and a failed delivery is not retried: the room exists all the same, and
// its ID is returned with the delivery error (an answer other than 2xx
// counts as failed).
func (s *Server) InviteBot(ctx context.Context, botID int64, title string) (channelID string, err error) {
	inviter, _ := s.SignInUser()
	rs, unlock := s.res()
	r := rs.bots[botID]
	switch {
	case r == nil:
		unlock()
		return "", fmt.Errorf("%w: %d", ErrBotNotFound, botID)
	case r.domains[DefaultDomainID] == nil:
		unlock()
		return "", fmt.Errorf("%w: bot %d is not registered to domain %d (POST /bots/%d/domains/%d first)", ErrBotNotInvitable, botID, DefaultDomainID, botID, DefaultDomainID)
	case !r.bot.EnableGroupJoin:
		unlock()
		return "", fmt.Errorf("%w: bot %d does not allow room invitations (enableGroupJoin is false)", ErrBotNotInvitable, botID)
	}
	c := &Channel{ChannelID: uuidLike(), Title: title, Members: []string{inviter.UserID},
		Type: lineworks.ChannelTypeMultiUsers, DomainID: DefaultDomainID}
	rs.channels[botID] = append(rs.channels[botID], c)
	sendJoin := r.bot.EnableCallback && r.bot.CallbackURL != "" && subscribed(r.bot.ChannelEvents, "join")
	unlock()
	if !sendJoin {
		return c.ChannelID, nil
	}
	cs, err := s.CallbackSenderFor(botID)
	if err != nil { // deleted meanwhile
		return c.ChannelID, err
	}
	body := buildIn(DefaultDomainID, callbackBody{Type: "join", Source: callbackSource{ChannelID: c.ChannelID}})
	status, err := cs.Send(ctx, body)
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("lineworkstest: InviteBot: the callback URL answered the join event with %d %s", status, http.StatusText(status))
	}
	return c.ChannelID, err
}

// subscribed reports whether a bot with channelEvents gets event: an empty
// list means the documented default, which includes every room event but
// begin and end (https://developers.worksmobile.com/jp/docs/bot-get).
func subscribed(channelEvents []string, event string) bool {
	if len(channelEvents) == 0 {
		return event != "begin" && event != "end"
	}
	return slices.Contains(channelEvents, event)
}
