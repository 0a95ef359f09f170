package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// AppointmentButtonID is the ButtonID of a visit made by a check-in with a
// reception code (CheckInRequest.Code): no button was tapped.
const AppointmentButtonID = "appointment"

// ErrUnknownCode is returned by CheckIn for a reception code no appointment
// of the organization has. It wraps reception.ErrNotFound (APIs answer
// 404; a kiosk counts it as a wrong code).
var ErrUnknownCode = fmt.Errorf("%w: notify: no appointment has this reception code", reception.ErrNotFound)

// codeAttempts bounds how often CreateAppointment draws a new code when
// the one drawn is held by another live appointment.
const codeAttempts = 8

// CreateAppointment registers a: it fills what is not set — ID, Status
// (scheduled), CreatedAt/UpdatedAt, CreatedBy (reception.CreatedByAdmin),
// the reception code, the validity (the local day of StartsAt in
// WithLocation's zone) and the reminders (the hosts WithAppointmentReminder
// before StartsAt; visitors with an e-mail address, when a Mailer is set
// and StartsAt is more than a day away, the day before at 10:00) — and
// stores it with its messages in one transaction: each host gets a 1:1
// message with the code, the code as a QR image and a text ready to
// forward to the visitors; each visitor with an address gets the code and
// its QR code by e-mail (with WithMailer). Every host must be an active
// staff member with a LINE WORKS user. An appointment whose validity is
// already over is refused. A used ID is reception.ErrConflict.
func (s *Service) CreateAppointment(ctx context.Context, a *reception.Appointment) (*reception.Appointment, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: notify: CreateAppointment(nil)", reception.ErrInvalid)
	}
	a = a.Clone()
	org, err := s.store.GetOrganization(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	s.fillAppointment(a, now)
	if !now.Before(a.ValidUntil) {
		return nil, fieldErr("StartsAt", "the appointment is already over")
	}
	hosts, err := s.appointmentHosts(ctx, a.OrgID, a.HostStaffIDs)
	if err != nil {
		return nil, err
	}
	fixed := a.Code != ""
	for attempt := 1; ; attempt++ {
		if !fixed {
			a.Code = reception.NewReceptionCode()
		}
		if err := a.Validate(); err != nil {
			return nil, err
		}
		entries, err := s.createdEntries(org, a, hosts)
		if err != nil {
			return nil, err
		}
		err = s.store.CreateAppointment(ctx, a, entries...)
		if err == nil {
			s.log.Info("appointment created", "org", a.OrgID, "appointment", a.ID, "by", a.CreatedBy, "entries", len(entries))
			kick(s.kickOutbox)
			return a, nil
		}
		if !errors.Is(err, reception.ErrCodeInUse) || fixed || attempt >= codeAttempts {
			return nil, err
		}
	}
}

// fillAppointment sets what a new appointment leaves unset.
func (s *Service) fillAppointment(a *reception.Appointment, now time.Time) {
	if a.ID == "" {
		a.ID = reception.NewID()
	}
	if a.Status == "" {
		a.Status = reception.AppointmentScheduled
	}
	if a.CreatedBy == "" {
		a.CreatedBy = reception.CreatedByAdmin
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	a.UpdatedAt = now
	bareNames(a)
	s.fillValidity(a)
	s.setReminders(a, now)
}

// fillValidity sets an unset validity: the local day of StartsAt; for a
// period appointment with only ValidUntil set, from the day of StartsAt.
func (s *Service) fillValidity(a *reception.Appointment) {
	if a.StartsAt.IsZero() {
		return // Validate says StartsAt is required
	}
	from, until := reception.DayValidity(a.StartsAt, s.loc)
	if a.ValidFrom.IsZero() {
		a.ValidFrom = from
	}
	if a.ValidUntil.IsZero() {
		a.ValidUntil = until
	}
}

// setReminders computes the reminders' due times from StartsAt; a time
// already past is none.
func (s *Service) setReminders(a *reception.Appointment, now time.Time) {
	a.HostReminderAt, a.VisitorReminderAt = time.Time{}, time.Time{}
	if a.Status != reception.AppointmentScheduled || a.StartsAt.IsZero() {
		return
	}
	if s.apptReminder > 0 {
		if at := a.StartsAt.Add(-s.apptReminder); at.After(now) {
			a.HostReminderAt = at
		}
	}
	if s.mailer == nil || a.StartsAt.Sub(now) <= 24*time.Hour || !slices.ContainsFunc(a.Visitors, func(v reception.AppointmentVisitor) bool { return v.Email != "" }) {
		return
	}
	t := a.StartsAt.In(s.loc).AddDate(0, 0, -1)
	if at := time.Date(t.Year(), t.Month(), t.Day(), 10, 0, 0, 0, s.loc); at.After(now) {
		a.VisitorReminderAt = at
	}
}

// appointmentHosts reads the hosts: each must exist, be active and have
// a LINE WORKS user.
func (s *Service) appointmentHosts(ctx context.Context, orgID string, ids []string) ([]*reception.Staff, error) {
	if len(ids) == 0 {
		return nil, fieldErr("HostStaffIDs", "needs at least one host")
	}
	hosts := make([]*reception.Staff, 0, len(ids))
	for i, id := range ids {
		st, err := s.store.GetStaff(ctx, orgID, id)
		if errors.Is(err, reception.ErrNotFound) {
			return nil, fieldErr(fmt.Sprintf("HostStaffIDs[%d]", i), "no such staff member")
		}
		if err != nil {
			return nil, err
		}
		if !st.Active || st.UserID == "" {
			return nil, fieldErr(fmt.Sprintf("HostStaffIDs[%d]", i), "the staff member is not active")
		}
		hosts = append(hosts, st)
	}
	return hosts, nil
}

// createdEntries are the messages of a new appointment: per host the code,
// the QR image and the forward text; per visitor with an address (and a
// Mailer) an e-mail.
func (s *Service) createdEntries(org *reception.Organization, a *reception.Appointment, hosts []*reception.Staff) ([]*reception.OutboxEntry, error) {
	t := apptTextsFor(org)
	var entries []*reception.OutboxEntry
	for _, h := range hostUsers(hosts) {
		es, err := s.codeMessages(org, a, t.Created, h, "appointment/"+a.ID+"/created/user/"+h)
		if err != nil {
			return nil, err
		}
		entries = append(entries, es...)
	}
	mails, err := s.visitorMails(org, a, false, "appointment/"+a.ID+"/created")
	if err != nil {
		return nil, err
	}
	return append(entries, mails...), nil
}

// codeMessages is the entry that gives a host the code, a sequence of
// three 1:1 messages: the text (headed by head), the QR image and the
// forward text.
func (s *Service) codeMessages(org *reception.Organization, a *reception.Appointment, head, userID, key string) ([]*reception.OutboxEntry, error) {
	t := apptTextsFor(org)
	text := head + "\n" + s.apptDetails(t, a) + "\n" + t.CodeLine + a.Code + "\n" + t.ForwardHint
	raw, err := sequenceOf(
		lineworks.Text{Text: lineworks.TruncateText(text, textLimit)},
		qrMessage(a.Code),
		lineworks.Text{Text: lineworks.TruncateText(s.forwardText(org, a), textLimit)},
	)
	if err != nil {
		return nil, err
	}
	return []*reception.OutboxEntry{s.entry(a.OrgID, "", reception.Target{Kind: reception.TargetUser, ID: userID}, raw, key)}, nil
}

// hostUsers are the distinct LINE WORKS users of active hosts.
func hostUsers(hosts []*reception.Staff) []string {
	var users []string
	for _, h := range hosts {
		if h.Active && h.UserID != "" && !slices.Contains(users, h.UserID) {
			users = append(users, h.UserID)
		}
	}
	return users
}

// staffByID reads the organization's staff once, for work done where the
// store cannot be read (inside an UpdateAppointment change).
func (s *Service) staffByID(ctx context.Context, orgID string) (map[string]*reception.Staff, error) {
	list, err := s.store.ListStaff(ctx, orgID)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*reception.Staff, len(list))
	for _, st := range list {
		m[st.ID] = st
	}
	return m, nil
}

func pick(staff map[string]*reception.Staff, ids []string) []*reception.Staff {
	var out []*reception.Staff
	for _, id := range ids {
		if st, ok := staff[id]; ok {
			out = append(out, st)
		}
	}
	return out
}

// UpdateAppointment changes an appointment with change, which gets a copy
// and may change anything but ID, OrgID, Code, CreatedAt and CreatedBy. A
// changed StartsAt moves a one-day validity with it and recomputes the
// reminders; the hosts (new ones included) are told of a change of time,
// room, title, visitors or hosts with the code again. An error from
// change stores nothing and is returned as it is.
func (s *Service) UpdateAppointment(ctx context.Context, orgID, id string, change func(a *reception.Appointment) error) (*reception.Appointment, error) {
	if change == nil {
		return nil, fmt.Errorf("%w: notify: UpdateAppointment without a change", reception.ErrInvalid)
	}
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	staff, err := s.staffByID(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a, err := s.store.UpdateAppointment(ctx, orgID, id, func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
		before := a.Clone()
		if err := change(a); err != nil {
			return nil, err
		}
		bareNames(a)
		for i, h := range a.HostStaffIDs {
			if st, ok := staff[h]; !ok || !st.Active || st.UserID == "" {
				return nil, fieldErr(fmt.Sprintf("HostStaffIDs[%d]", i), "no such active staff member")
			}
		}
		a.UpdatedAt = now
		if !a.StartsAt.Equal(before.StartsAt) {
			if !a.Period && a.ValidFrom.Equal(before.ValidFrom) && a.ValidUntil.Equal(before.ValidUntil) {
				a.ValidFrom, a.ValidUntil = reception.DayValidity(a.StartsAt, s.loc)
			}
			s.setReminders(a, now)
		}
		if !appointmentNews(before, a) || a.Status == reception.AppointmentCancelled {
			return nil, nil
		}
		t := apptTextsFor(org)
		key := fmt.Sprintf("appointment/%s/changed/%d/user/", a.ID, now.UnixNano())
		var entries []*reception.OutboxEntry
		for _, u := range hostUsers(pick(staff, a.HostStaffIDs)) {
			es, err := s.codeMessages(org, a, t.Changed, u, key+u)
			if err != nil {
				return nil, err
			}
			entries = append(entries, es...)
		}
		return entries, nil
	})
	if err == nil {
		kick(s.kickOutbox)
	}
	return a, err
}

// appointmentNews reports a change the hosts should hear of.
func appointmentNews(a, b *reception.Appointment) bool {
	return !a.StartsAt.Equal(b.StartsAt) || a.Room != b.Room || a.Title != b.Title ||
		!slices.Equal(a.Visitors, b.Visitors) || !slices.Equal(a.HostStaffIDs, b.HostStaffIDs) ||
		!a.ValidFrom.Equal(b.ValidFrom) || !a.ValidUntil.Equal(b.ValidUntil)
}

// CancelAppointment cancels an appointment: its code stops working, its
// reminders are dropped and its hosts are told 1:1. Cancelling a
// cancelled appointment changes nothing and tells nobody again; an expired
// one cannot be cancelled (reception.ErrConflict).
func (s *Service) CancelAppointment(ctx context.Context, orgID, id string) (*reception.Appointment, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	staff, err := s.staffByID(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	already := false
	a, err := s.store.UpdateAppointment(ctx, orgID, id, func(a *reception.Appointment) ([]*reception.OutboxEntry, error) {
		already = a.Status == reception.AppointmentCancelled
		if already {
			return nil, nil
		}
		if err := a.Cancel(now); err != nil {
			return nil, err
		}
		t := apptTextsFor(org)
		text := lineworks.TruncateText(t.Cancelled+"\n"+s.apptDetails(t, a), textLimit)
		raw, err := json.Marshal(lineworks.Text{Text: text})
		if err != nil {
			return nil, err
		}
		var entries []*reception.OutboxEntry
		for _, u := range hostUsers(pick(staff, a.HostStaffIDs)) {
			entries = append(entries, s.entry(orgID, "", reception.Target{Kind: reception.TargetUser, ID: u}, raw, "appointment/"+a.ID+"/cancelled/user/"+u))
		}
		return entries, nil
	})
	switch {
	case err != nil:
	case already:
		s.log.Debug("appointment already cancelled", "org", orgID, "appointment", id)
	default:
		s.log.Info("appointment cancelled", "org", orgID, "appointment", id)
		kick(s.kickOutbox)
	}
	return a, err
}

// derivedID is an ID derived from parts, the same for the same parts and
// never one NewID makes (those are 24 characters): prefix and 32 hex
// digits.
func derivedID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}
