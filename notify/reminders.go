package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

func (s *Service) runReminders(ctx context.Context) {
	for {
		if _, err := s.RemindOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sending reminders", "err", err)
		}
		if !wait(ctx, s.pollInterval, nil) {
			return
		}
	}
}

// RemindOnce re-notifies every unhandled visit whose reminder is due (by the
// service's clock) and returns how many reminders it recorded. A reminder
// goes to the button's rooms (with @All when the policy says so) and is
// recorded together with its messages, so a visit accepted meanwhile, or a
// reminder another replica already sent, sends nothing.
func (s *Service) RemindOnce(ctx context.Context) (int, error) {
	now := s.now()
	due, err := s.store.ListDueReminders(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, v := range due {
		ok, err := s.remind(ctx, v)
		if err != nil {
			s.log.Error("reminder", "org", v.OrgID, "visit", v.ID, "err", err)
			continue
		}
		if ok {
			sent++
		}
	}
	if sent > 0 {
		kick(s.kickOutbox)
	}
	return sent, nil
}

func (s *Service) remind(ctx context.Context, v *reception.Visit) (bool, error) {
	org, err := s.store.GetOrganization(ctx, v.OrgID)
	if err != nil {
		return false, err
	}
	now := s.now()
	policy := reception.ReminderPolicy{}
	vb, b := s.buttonOf(ctx, org, v)
	if b != nil {
		policy = b.Reminder
	}
	r := &reception.Reminder{Seen: v.Reminders, At: now}
	if next, ok := policy.Next(v.CreatedAt, v.Reminders+1); ok {
		r.Next = next
	}
	t := s.textsFor(org)
	all := ""
	if policy.MentionAll {
		all = lineworks.MentionAll
	}
	text, err := t.render("Reminder", "", map[string]any{
		"All": all, "Visitor": visitorLabel(t, v), "Button": vb.label,
		"Waiting": int(now.Sub(v.CreatedAt).Minutes()), "Count": v.Reminders + 1,
	}, contentTextLimit)
	if err != nil {
		return false, err
	}
	content, err := json.Marshal(lineworks.ButtonTemplate{ContentText: text, Actions: []lineworks.Action{
		lineworks.MessageAction{Label: t.AcceptLabel, Text: t.AcceptLabel, Postback: encodePostback(actionAccept, v.ID)},
		lineworks.MessageAction{Label: t.EscalateLabel, Text: t.EscalateLabel, Postback: encodePostback(actionEscalate, v.ID)},
	}})
	if err != nil {
		return false, err
	}
	n := strconv.Itoa(v.Reminders + 1)
	for _, room := range vb.rooms {
		r.Entries = append(r.Entries, s.entry(org.ID, v.ID, reception.Target{Kind: reception.TargetRoom, ID: room}, content, "visit/"+v.ID+"/reminder/"+n+"/room/"+room))
	}
	if len(r.Entries) == 0 {
		// Personal-only visits: remind the chosen person again.
		if v.StaffID != "" {
			if st, err := s.store.GetStaff(ctx, org.ID, v.StaffID); err == nil && st.UserID != "" {
				r.Entries = append(r.Entries, s.entry(org.ID, v.ID, reception.Target{Kind: reception.TargetUser, ID: st.UserID}, content, "visit/"+v.ID+"/reminder/"+n+"/user/"+st.UserID))
			}
		}
	}
	if _, err := s.store.RecordReminder(ctx, org.ID, v.ID, r); err != nil {
		if errors.Is(err, reception.ErrConflict) {
			return false, nil // accepted meanwhile, or another replica sent it
		}
		return false, err
	}
	s.metrics.Inc(MetricReminders, "")
	s.log.Info("reminder recorded", "org", org.ID, "visit", v.ID, "count", v.Reminders+1)
	return true, nil
}
