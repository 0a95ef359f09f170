package lineworkstest

import (
	"strings"

	"github.com/uketsuke/uketsuke/lineworks"
)

// The fake validates every message it receives with the client's own rules
// (lineworks.DecodeContent, then lineworks.ValidateSend: the documented
// limits, at most 50 mentions, no @All in a 1:1 message) and answers what the
// real service answers for a message it rejects: 400 INVALID_PARAMETER.
// Checking with the same code is deliberate: a message the client would
// refuse to send must not pass here because someone sent it by hand, with
// RawContent or with another client.
func (s *Server) validateSend(m Message) (code, desc string) {
	c, err := lineworks.DecodeContent(m.Content)
	if err == nil {
		err = lineworks.ValidateSend(c, m.ChannelID != "")
	}
	if err != nil {
		return "INVALID_PARAMETER", describe(err)
	}
	if m.ChannelID != "" && !s.channelKnown(m.BotID, m.ChannelID) {
		return "NOT_FOUND", "channel not found: the bot is not a member of " + m.ChannelID
	}
	return "", ""
}

// describe turns a (possibly joined) validation error into one line
// without the package prefix, the way an API error description reads.
func describe(err error) string {
	s := strings.TrimPrefix(err.Error(), "lineworks: ")
	s = strings.ReplaceAll(s, "\nlineworks: ", "; ")
	return strings.ReplaceAll(s, "\n", "; ")
}

// channelKnown is true unless strict mode is on and the bot has channels the
// fake knows, none of which is channelID.
func (s *Server) channelKnown(botID int64, channelID string) bool {
	rs, unlock := s.res()
	defer unlock()
	if !rs.strict || len(rs.channels[botID]) == 0 {
		return true
	}
	return rs.findChannel(botID, channelID) != nil
}
