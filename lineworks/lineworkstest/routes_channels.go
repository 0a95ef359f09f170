package lineworkstest

import (
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/lineworks"
)

// registerChannelRoutes serves the channel (talk room) routes:
// https://developers.worksmobile.com/jp/docs/bot-channel-create, -get,
// -members-list, -leave.
func (s *Server) registerChannelRoutes() {
	s.handle("POST /bots/{botId}/channels", s.serveChannelCreate)
	s.handle("GET /bots/{botId}/channels/{channelId}", s.serveChannelGet)
	s.handle("GET /bots/{botId}/channels/{channelId}/members", s.serveChannelMembers)
	s.handle("DELETE /bots/{botId}/channels/{channelId}", s.serveChannelLeave)
}

// channelCreateBudget is the documented per-tenant limit of channel creation.
const channelCreateBudget = 10

func (s *Server) serveChannelCreate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.authorize(w, r, "bot.message")
	if !ok || s.limitedBudget(apiRoute(r), t, w, channelCreateBudget) {
		return
	}
	botID, ok := botIDParam(w, r)
	if !ok {
		return
	}
	var body struct {
		Members []string `json:"members"`
		Title   string   `json:"title"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	switch {
	case len(body.Members) == 0:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "members is required")
		return
	case len(body.Members) > lineworks.MaxChannelMembers:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "members must have at most 100 items")
		return
	case slices.Contains(body.Members, ""):
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "members must not contain empty IDs")
		return
	case utf8.RuneCountInString(body.Title) > 1000:
		writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "title must be at most 1000 characters")
		return
	}
	rs, unlock := s.res()
	members := make([]string, 0, len(body.Members))
	for _, m := range body.Members {
		if u := rs.findUser(m); u != nil {
			m = u.UserID // e-mails are resolved to user IDs, as LINE WORKS does
		}
		if !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	c := &Channel{ChannelID: uuidLike(), Title: body.Title, Members: members, Type: lineworks.ChannelTypeMultiUsers, DomainID: t.app.DomainID}
	rs.channels[botID] = append(rs.channels[botID], c)
	unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"channelId": c.ChannelID, "title": c.Title})
}

func (s *Server) channelFor(w http.ResponseWriter, r *http.Request) (*Channel, *resources, func()) {
	botID, ok := botIDParam(w, r)
	if !ok {
		return nil, nil, nil
	}
	rs, unlock := s.res()
	c := rs.findChannel(botID, r.PathValue("channelId"))
	if c == nil {
		unlock()
		notFound(w, "channel")
		return nil, nil, nil
	}
	return c, rs, unlock
}

func (s *Server) serveChannelGet(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	c, _, unlock := s.channelFor(w, r)
	if c == nil {
		return
	}
	out := lineworks.Channel{DomainID: c.DomainID, ChannelID: c.ChannelID, Title: c.Title,
		ChannelType: lineworks.ChannelType{Type: c.Type, OrgUnitID: c.OrgUnitID, GroupID: c.GroupID}}
	unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serveChannelMembers(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message", "bot.read") == nil {
		return
	}
	c, _, unlock := s.channelFor(w, r)
	if c == nil {
		return
	}
	members := slices.Clone(c.Members)
	unlock()
	from, to, next, ok := pageBounds(w, r, "members", len(members))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": nonNil(members[from:to]), "responseMetaData": metaData{NextCursor: next}})
}

func (s *Server) serveChannelLeave(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r, "bot.message") == nil {
		return
	}
	c, rs, unlock := s.channelFor(w, r)
	if c == nil {
		return
	}
	botID, _ := botIDParam(w, r)
	rs.channels[botID] = slices.DeleteFunc(rs.channels[botID], func(x *Channel) bool { return x == c })
	unlock()
	w.WriteHeader(http.StatusNoContent)
}

// nonNil makes an empty page encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
