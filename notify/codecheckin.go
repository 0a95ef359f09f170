package notify

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// codeCheckIn is CheckIn with a reception code (see CheckIn). The arrival
// is recorded first (Appointment.Arrive, atomic in the store), then the
// visit with its notifications: of two kiosks entering one ordinary code
// at the same moment, one gets CodeUsed before anyone is notified. The
// arrival names the visit it makes, so a crash (or a failed write) between
// the two is repaired by the next check-in with the code: the arrival's
// visit is missing, so it is stored now, under the ID the arrival names. A
// request sent again with its IdempotencyKey after it succeeded gets its
// visit back.
//
// It cannot join an application's transaction (CheckInTx): the
// appointment's arrival would commit without it.
func (s *Service) codeCheckIn(ctx context.Context, orgID string, req CheckInRequest) (*reception.Visit, error) {
	if _, inTx := reception.TxFrom(ctx); inTx {
		return nil, fieldErr("code", "a check-in with a reception code cannot join the application's transaction (CheckInTx); use CheckIn")
	}
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a, err := s.store.FindAppointmentByCode(ctx, orgID, req.Code, now)
	if errors.Is(err, reception.ErrNotFound) {
		return nil, ErrUnknownCode
	}
	if err != nil {
		return nil, err
	}
	visit := codeVisit(orgID, req, a, now)
	done, lost, err := s.priorArrival(ctx, req, a, visit.ID, now)
	if done != nil || err != nil {
		return done, err
	}
	if lost != "" {
		visit.ID = lost
	}
	content, entries, err := s.arrivalEntries(ctx, org, a, visit, req)
	if err != nil {
		return nil, err
	}
	if lost == "" {
		_, err := s.store.UpdateAppointment(ctx, orgID, a.ID, func(x *reception.Appointment) ([]*reception.OutboxEntry, error) {
			return nil, x.Arrive(now, visit.ID)
		})
		if err != nil {
			return nil, err // a *reception.CodeError when another check-in took it meanwhile
		}
	}
	return s.storeCheckIn(ctx, visit, entries, content, true)
}

// priorArrival looks for an earlier attempt at a check-in with a's code.
// done is the visit of this very request when it was sent again with its
// IdempotencyKey after it succeeded. lost is the visit ID of an arrival
// recorded while its visit is missing (a crash or a failed write between
// the two): the visit to store now, without recording another arrival.
// Otherwise the code must be usable now.
func (s *Service) priorArrival(ctx context.Context, req CheckInRequest, a *reception.Appointment, visitID string, now time.Time) (done *reception.Visit, lost string, err error) {
	if req.IdempotencyKey != "" {
		v, err := s.store.GetVisit(ctx, a.OrgID, visitID)
		if err == nil && v.AppointmentID == a.ID {
			return v, "", nil
		}
	}
	last := a.LastVisitID
	if a.Status == reception.AppointmentArrived && a.Live(now) && last != "" && (!a.Period || last == visitID) {
		_, err := s.store.GetVisit(ctx, a.OrgID, last)
		switch {
		case errors.Is(err, reception.ErrNotFound):
			s.log.Warn("completing a code check-in whose visit was not stored", "org", a.OrgID, "appointment", a.ID, "visit", last)
			return nil, last, nil
		case err != nil:
			return nil, "", err
		}
	}
	return nil, "", a.CodeUsableAt(now)
}

// arrivalEntries are the hosts' notifications of an arrival (and the
// checked-in event), and the notification's content.
func (s *Service) arrivalEntries(ctx context.Context, org *reception.Organization, a *reception.Appointment, visit *reception.Visit, req CheckInRequest) (lineworks.Content, []*reception.OutboxEntry, error) {
	rooms, users, err := s.appointmentRoute(ctx, org, a)
	if err != nil {
		return nil, nil, err
	}
	content, err := s.arrivalNotification(org, a, visit, req)
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, nil, err
	}
	var entries []*reception.OutboxEntry
	for _, ch := range rooms {
		entries = append(entries, s.entry(org.ID, visit.ID, reception.Target{Kind: reception.TargetRoom, ID: ch}, raw, "visit/"+visit.ID+"/notify/room/"+ch))
	}
	for _, u := range users {
		entries = append(entries, s.entry(org.ID, visit.ID, reception.Target{Kind: reception.TargetUser, ID: u}, raw, "visit/"+visit.ID+"/notify/user/"+u))
	}
	if ev := s.eventEntry(Event{ID: string(EventCheckedIn), Kind: EventCheckedIn, OrgID: org.ID, VisitID: visit.ID, At: visit.CreatedAt, AppointmentID: a.ID}); ev != nil {
		entries = append(entries, ev)
	}
	return content, entries, nil
}

// codeVisit is the visit a check-in with a code makes. Its ID is derived
// from the request's IdempotencyKey when it has one; else an ordinary
// code's from the appointment (the code makes one visit), a period code's
// is new.
func codeVisit(orgID string, req CheckInRequest, a *reception.Appointment, now time.Time) *reception.Visit {
	id := reception.NewID()
	switch {
	case req.IdempotencyKey != "":
		id = idempotentVisitID(orgID, req.IdempotencyKey)
	case !a.Period:
		id = derivedID("a", orgID, a.ID)
	}
	v := &reception.Visit{
		ID:            id,
		OrgID:         orgID,
		VisitorName:   strings.TrimSpace(req.Visitor.Name),
		Company:       strings.TrimSpace(req.Visitor.Company),
		PartySize:     req.Visitor.Count,
		Note:          strings.TrimSpace(req.Visitor.Note),
		ButtonID:      AppointmentButtonID,
		AppointmentID: a.ID,
		Reference:     req.Reference,
		Status:        reception.StatusWaiting,
		CreatedAt:     now,
	}
	if v.VisitorName == "" && v.Company == "" && len(a.Visitors) > 0 {
		v.VisitorName, v.Company = bareName(a.Visitors[0].Name), a.Visitors[0].Company
	}
	if v.PartySize == 0 && a.Expected() > 1 {
		v.PartySize = a.Expected()
	}
	return v
}

// appointmentRoute is who hears of an arrival: the hosts 1:1 and, with
// WithAppointmentRooms, the rooms of the enabled buttons that list a host;
// when that is nobody, the organization's default room.
func (s *Service) appointmentRoute(ctx context.Context, org *reception.Organization, a *reception.Appointment) (rooms, users []string, err error) {
	var hosts []*reception.Staff
	for _, id := range a.HostStaffIDs {
		st, err := s.store.GetStaff(ctx, org.ID, id)
		if errors.Is(err, reception.ErrNotFound) {
			continue // deleted since the appointment was made
		}
		if err != nil {
			return nil, nil, err
		}
		hosts = append(hosts, st)
	}
	users = hostUsers(hosts)
	if s.apptRooms {
		if rooms, err = s.hostButtonRooms(ctx, org, a); err != nil {
			return nil, nil, err
		}
	}
	if len(rooms) == 0 && len(users) == 0 && org.Integration.DefaultChannelID != "" {
		rooms = []string{org.Integration.DefaultChannelID}
	}
	if len(rooms) == 0 && len(users) == 0 {
		return nil, nil, ErrNoRoute
	}
	return rooms, users, nil
}

// hostButtonRooms are the rooms of the enabled buttons that list one of
// a's hosts.
func (s *Service) hostButtonRooms(ctx context.Context, org *reception.Organization, a *reception.Appointment) ([]string, error) {
	buttons, err := s.store.ListButtons(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	var rooms []string
	for _, b := range buttons {
		if b.Enabled && slices.ContainsFunc(a.HostStaffIDs, func(id string) bool { return slices.Contains(b.StaffIDs, id) }) {
			for _, ch := range b.ChannelIDs {
				if !slices.Contains(rooms, ch) {
					rooms = append(rooms, ch)
				}
			}
		}
	}
	return rooms, nil
}

// arrivalNotification is the hosts' message: who came for which
// appointment, with 「対応します」 and 「他の人に対応を依頼」 — a button
// template of message actions carrying postbacks, like a button's
// notification (https://developers.worksmobile.com/jp/docs/bot-send-button).
func (s *Service) arrivalNotification(org *reception.Organization, a *reception.Appointment, v *reception.Visit, req CheckInRequest) (lineworks.Content, error) {
	t, vt := apptTextsFor(org), s.textsFor(org)
	lines := []string{t.Arrived, s.apptDetails(t, a)}
	if v.VisitorName != "" || v.Company != "" {
		if req.Visitor.Name != "" || req.Visitor.Company != "" {
			lines = append(lines, visitorLabel(vt, v))
		}
	}
	if v.Note != "" {
		lines = append(lines, safe(v.Note, MaxVisitorNote))
	}
	lines = append(lines, t.CheckedIn+v.CreatedAt.In(s.loc).Format("15:04"))
	notes, err := visitNotes{language: req.Language, enteredAt: req.EnteredAt}.render(vt, org, v.CreatedAt, v.CreatedAt.In(s.loc).Format("15:04"))
	if err != nil {
		return nil, err
	}
	text := lineworks.TruncateText(strings.Join(lines, "\n"), contentTextLimit-len([]rune(notes))) + notes
	return lineworks.ButtonTemplate{
		ContentText: text,
		Actions: []lineworks.Action{
			lineworks.MessageAction{Label: vt.AcceptLabel, Text: vt.AcceptLabel, Postback: encodePostback(actionAccept, v.ID)},
			lineworks.MessageAction{Label: vt.EscalateLabel, Text: vt.EscalateLabel, Postback: encodePostback(actionEscalate, v.ID)},
		},
	}, nil
}

// appointmentAudience is the audience of a visit made with a reception
// code: who appointmentRoute reaches now, labelled with the appointment's
// title (or 「ご予約」). An appointment deleted since leaves the default
// room, like a deleted button.
func (s *Service) appointmentAudience(ctx context.Context, org *reception.Organization, v *reception.Visit) (audience, error) {
	aud := audience{label: apptTextsFor(org).Label}
	a, err := s.store.GetAppointment(ctx, org.ID, v.AppointmentID)
	switch {
	case errors.Is(err, reception.ErrNotFound):
		if org.Integration.DefaultChannelID != "" {
			aud.rooms = []string{org.Integration.DefaultChannelID}
		}
		return aud, nil
	case err != nil:
		return aud, err
	}
	if a.Title != "" {
		aud.label = safe(a.Title, 100)
	}
	aud.rooms, aud.users, err = s.appointmentRoute(ctx, org, a)
	if errors.Is(err, ErrNoRoute) {
		err = nil
	}
	return aud, err
}
