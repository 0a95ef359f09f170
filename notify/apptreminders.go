package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// remindAppointments sends the appointment reminders due by now: the
// hosts' (1:1, WithAppointmentReminder before the start) and the
// visitors' (e-mail, the day before). Each is recorded with its messages
// in one transaction (UpdateAppointment clears the due time), so a
// reminder another replica sent, or an appointment cancelled or arrived
// meanwhile, sends nothing. It returns how many appointments it reminded.
func (s *Service) remindAppointments(ctx context.Context) (int, error) {
	now := s.now()
	due, err := s.store.ListDueAppointmentReminders(ctx, now, 100)
	if errors.Is(err, errors.ErrUnsupported) {
		return 0, nil // a driver without appointments: none are due
	}
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range due {
		n, err := s.remindAppointment(ctx, a)
		if err != nil {
			s.log.Error("appointment reminder", "org", a.OrgID, "appointment", a.ID, "err", err)
			continue
		}
		sent += n
	}
	return sent, nil
}

// remindAppointment records a's due reminders; it returns 1 when it
// queued any message.
func (s *Service) remindAppointment(ctx context.Context, due *reception.Appointment) (int, error) {
	org, err := s.store.GetOrganization(ctx, due.OrgID)
	if err != nil {
		return 0, err
	}
	staff, err := s.staffByID(ctx, due.OrgID)
	if err != nil {
		return 0, err
	}
	now := s.now()
	queued := 0
	_, err = s.store.UpdateAppointment(ctx, due.OrgID, due.ID, func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
		queued = 0
		if a.Status != reception.AppointmentScheduled {
			return nil, nil // arrived or cancelled meanwhile: no reminder
		}
		var entries []*reception.OutboxEntry
		if !a.HostReminderAt.IsZero() && !a.HostReminderAt.After(now) {
			es, err := s.hostReminder(org, a, staff)
			if err != nil {
				return nil, err
			}
			entries = append(entries, es...)
			a.HostReminderAt = time.Time{}
		}
		if !a.VisitorReminderAt.IsZero() && !a.VisitorReminderAt.After(now) {
			es, err := s.visitorMails(org, a, true, fmt.Sprintf("appointment/%s/reminder/%d", a.ID, a.VisitorReminderAt.Unix()))
			if err != nil {
				return nil, err
			}
			entries = append(entries, es...)
			a.VisitorReminderAt = time.Time{}
		}
		a.UpdatedAt = now
		queued = len(entries)
		return entries, nil
	})
	if err != nil || queued == 0 {
		return 0, err
	}
	s.metrics.Inc(MetricReminders, "appointment")
	s.log.Info("appointment reminder recorded", "org", due.OrgID, "appointment", due.ID, "messages", queued)
	return 1, nil
}

// hostReminder is the hosts' 1:1 reminder of a: the details and the code.
func (s *Service) hostReminder(org *reception.Organization, a *reception.Appointment, staff map[string]*reception.Staff) ([]*reception.OutboxEntry, error) {
	t := apptTextsFor(org)
	text := lineworks.TruncateText(t.Reminder+"\n"+s.apptDetails(t, a)+"\n"+t.CodeLine+a.Code, textLimit)
	raw, err := json.Marshal(lineworks.Text{Text: text})
	if err != nil {
		return nil, err
	}
	var out []*reception.OutboxEntry
	for _, u := range hostUsers(pick(staff, a.HostStaffIDs)) {
		key := fmt.Sprintf("appointment/%s/reminder/%d/user/%s", a.ID, a.HostReminderAt.Unix(), u)
		out = append(out, s.entry(a.OrgID, "", reception.Target{Kind: reception.TargetUser, ID: u}, raw, key))
	}
	return out, nil
}
