package notify

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

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
// goes to the visit's rooms (with @All when the policy says so) or, for a
// visit announced only personally, to the same people 1:1; it is recorded
// together with its messages, so a visit accepted meanwhile, or a reminder
// another replica already sent, sends nothing. A visit somebody escalated
// less than a reminder interval ago is due again an interval after that
// request, which was its reminder. Appointment reminders due are sent too
// (the hosts 1:1, visitors by e-mail) and counted with the others.
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
	n, err := s.remindAppointments(ctx)
	sent += n
	if sent > 0 {
		kick(s.kickOutbox)
	}
	return sent, err
}

// postponeAfterEscalation reports whether somebody just asked for help (or
// the handler handed the visit back): that request is the reminder. The
// next one is due a reminder interval after it; the visit's due time moves
// there, so that it neither comes up again at every look nor holds the
// head of the due list.
func (s *Service) postponeAfterEscalation(ctx context.Context, v *reception.Visit, policy reception.ReminderPolicy, now time.Time) (bool, error) {
	for _, ev := range slices.Backward(v.Events) {
		if ev.Kind != reception.EventEscalated {
			continue
		}
		if now.Sub(ev.At) >= policy.After {
			return false, nil
		}
		_, err := s.store.RecordReminder(ctx, v.OrgID, v.ID, &reception.Reminder{Seen: v.Reminders, At: now, Next: ev.At.Add(policy.After), Postpone: true})
		if errors.Is(err, reception.ErrConflict) {
			err = nil // accepted meanwhile, or another replica moved it
		}
		return true, err
	}
	return false, nil
}

func (s *Service) remind(ctx context.Context, v *reception.Visit) (bool, error) {
	org, err := s.store.GetOrganization(ctx, v.OrgID)
	if err != nil {
		return false, err
	}
	now := s.now()
	aud, err := s.audienceOf(ctx, org, v)
	if err != nil {
		return false, err
	}
	policy := reception.ReminderPolicy{}
	if aud.button != nil {
		policy = aud.button.Reminder
	}
	if postponed, err := s.postponeAfterEscalation(ctx, v, policy, now); postponed || err != nil {
		return false, err
	}
	r := &reception.Reminder{Seen: v.Reminders, At: now}
	if next, ok := policy.Next(v.CreatedAt, v.Reminders+1); ok {
		r.Next = next
	}
	t := s.textsFor(org)
	// content is the reminder for a room (with @All when the policy says
	// so) or, without @All, which LINE WORKS refuses in 1:1 messages, for
	// a person.
	content := func(all string) (json.RawMessage, error) {
		text, err := t.render("Reminder", "", map[string]any{
			"All": all, "Visitor": visitorLabel(t, v), "Button": aud.label,
			"Waiting": int(now.Sub(v.CreatedAt).Minutes()), "Count": v.Reminders + 1,
		}, contentTextLimit)
		if err != nil {
			return nil, err
		}
		return json.Marshal(lineworks.ButtonTemplate{ContentText: strings.TrimSpace(text), Actions: []lineworks.Action{
			lineworks.MessageAction{Label: t.AcceptLabel, Text: t.AcceptLabel, Postback: encodePostback(actionAccept, v.ID)},
			lineworks.MessageAction{Label: t.EscalateLabel, Text: t.EscalateLabel, Postback: encodePostback(actionEscalate, v.ID)},
		}})
	}
	n := strconv.Itoa(v.Reminders + 1)
	if len(aud.rooms) > 0 {
		all := ""
		if policy.MentionAll {
			all = lineworks.MentionAll
		}
		c, err := content(all)
		if err != nil {
			return false, err
		}
		for _, room := range aud.rooms {
			r.Entries = append(r.Entries, s.entry(org.ID, v.ID, reception.Target{Kind: reception.TargetRoom, ID: room}, c, "visit/"+v.ID+"/reminder/"+n+"/room/"+room))
		}
	} else {
		// A visit announced only personally: remind the same people.
		c, err := content("")
		if err != nil {
			return false, err
		}
		for _, u := range aud.users {
			r.Entries = append(r.Entries, s.entry(org.ID, v.ID, reception.Target{Kind: reception.TargetUser, ID: u}, c, "visit/"+v.ID+"/reminder/"+n+"/user/"+u))
		}
	}
	if ev := s.eventEntry(Event{ID: "reminded/" + n, Kind: EventReminded, OrgID: org.ID, VisitID: v.ID, At: now, Reminder: v.Reminders + 1}); ev != nil {
		r.Entries = append(r.Entries, ev)
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
