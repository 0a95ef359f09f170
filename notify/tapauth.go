package notify

import (
	"context"
	"slices"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// tapAllowed reports whether the tap from src may act on v (accept or
// escalate it): always for an organization with OpenTaps; otherwise only
// from v's audience — a tap in a room (src.ChannelID) that is one of the
// rooms v was announced in, or a 1:1 tap by a user v was sent to 1:1. The
// audience is who the button reaches now (audienceOf) and whoever a
// message about v actually went to (its outbox entries: the check-in's,
// reminders', escalations'), so neither a button edited since nor a room
// that an escalation reached loses its say.
func (s *Service) tapAllowed(ctx context.Context, org *reception.Organization, v *reception.Visit, src lineworks.Source) (bool, error) {
	if org.OpenTaps {
		return true, nil
	}
	aud, err := s.audienceOf(ctx, org, v)
	if err != nil {
		return false, err
	}
	if src.ChannelID != "" && slices.Contains(aud.rooms, src.ChannelID) ||
		src.ChannelID == "" && slices.Contains(aud.users, src.UserID) {
		return true, nil
	}
	entries, err := s.store.ListOutbox(ctx, org.ID, reception.OutboxFilter{VisitID: v.ID})
	if err != nil {
		return false, err
	}
	from := replyTarget(src)
	if slices.ContainsFunc(entries, func(e *reception.OutboxEntry) bool { return e.Target == from }) {
		return true, nil
	}
	if src.ChannelID != "" {
		return false, nil
	}
	// A 1:1 tap by a user the audience names by login e-mail.
	users := slices.Clone(aud.users)
	for _, e := range entries {
		if e.Target.Kind == reception.TargetUser {
			users = append(users, e.Target.ID)
		}
	}
	return s.isUser(ctx, org, src.UserID, users), nil
}

// refuseTap answers a tap from outside the visit's audience where it came
// from, and records nothing. The reply names no visit: it must not make
// the room part of the visit's audience (tapAllowed reads the outbox).
func (s *Service) refuseTap(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, visitID, action string) error {
	s.log.Info("tap refused: not from the visit's audience", "org", org.ID, "visit", visitID, "action", action,
		"user", src.UserID, "channel", src.ChannelID)
	if action == actionAccept {
		s.metrics.Inc(MetricClaims, "refused")
	}
	return s.enqueue(ctx, org.ID, "", replyTarget(src), lineworks.Text{Text: s.textsFor(org).NotHere}, "inbox/"+e.ID+"/reply")
}
