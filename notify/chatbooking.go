package notify

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify/booking"
	"github.com/uketsuke/uketsuke/reception"
)

// Appointments made in LINE WORKS: a staff member writes to the bot 1:1
// (「来客予約 12/3 14:00 テスト商事 佐藤様」); the bot answers with what it
// understood and 「登録する」 / 「やめる」, or with a question when the text
// is ambiguous or in the past. The confirm tap carries the ID of the inbox
// entry that holds the request: the request is read and parsed again from
// there (with the time it arrived as "now", so it means what the
// confirmation said), and the appointment's ID is derived from that entry,
// so a double tap makes one appointment. The staff member is its host and
// gets the code, the QR image and the forward text (CreateAppointment).
//
// The confirmation is a button template
// (https://developers.worksmobile.com/jp/docs/bot-send-button)
// whose buttons are message actions: postback actions are not allowed in
// button templates. A message action's postback may be up to 1,000
// characters (https://developers.worksmobile.com/jp/docs/bot-actionobject;
// a postback action's data only 300); "uk1:book:" and an inbox entry ID
// are about 35. The tap arrives as a message event with content.postback
// (https://developers.worksmobile.com/jp/docs/bot-callback-message);
// replies are text messages
// (https://developers.worksmobile.com/jp/docs/bot-send-text) sent 1:1
// (https://developers.worksmobile.com/jp/docs/bot-user-message-send).

// typedText returns the text a member typed in a message event (not a tap).
func typedText(ev lineworks.Event) (string, bool) {
	m, ok := ev.(lineworks.MessageEvent)
	if !ok {
		return "", false
	}
	t, ok := m.Content.(lineworks.ReceivedText)
	if !ok || t.Postback != "" {
		return "", false
	}
	return t.Text, true
}

// staffByUser returns the organization's active staff member who is the
// LINE WORKS user userID (registered by that ID or by the user's login
// e-mail: isUser), or nil.
func (s *Service) staffByUser(ctx context.Context, org *reception.Organization, userID string) (*reception.Staff, error) {
	return s.staffMatching(ctx, org, userID, true)
}

// StaffForUser returns the staff member of orgID who is the LINE WORKS
// user userID — registered by that user ID, or by the user's login e-mail,
// which is then asked of LINE WORKS (GET /users/{userId}, cached) — or nil
// when there is none. Inactive staff count too: it names the people in a
// visit's history (HandlerUserID is always a user ID, whatever the staff
// directory holds).
func (s *Service) StaffForUser(ctx context.Context, orgID, userID string) (*reception.Staff, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return s.staffMatching(ctx, org, userID, false)
}

func (s *Service) staffMatching(ctx context.Context, org *reception.Organization, userID string, activeOnly bool) (*reception.Staff, error) {
	list, err := s.store.ListStaff(ctx, org.ID)
	if err != nil {
		return nil, err
	}
	var byEmail []*reception.Staff
	for _, st := range list {
		switch {
		case activeOnly && !st.Active:
		case st.UserID == userID:
			return st, nil
		case strings.Contains(st.UserID, "@"):
			byEmail = append(byEmail, st)
		}
	}
	for _, st := range byEmail {
		if s.isUser(ctx, org, userID, []string{st.UserID}) {
			return st, nil
		}
	}
	return nil, nil
}

// bookingLang is the language of chat replies: the organization's.
func bookingLang(org *reception.Organization) string {
	if languageKey(orgLanguage(org)) == "en" {
		return "en"
	}
	return "ja"
}

// chatBooking answers an appointment command written 1:1 by src.
func (s *Service) chatBooking(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, text string) error {
	t := apptTextsFor(org)
	reply := reception.Target{Kind: reception.TargetUser, ID: src.UserID}
	key := "inbox/" + e.ID + "/reply"
	st, err := s.staffByUser(ctx, org, src.UserID)
	if err != nil {
		return err
	}
	if st == nil {
		s.log.Info("appointment request refused: not registered staff", "org", org.ID, "user", src.UserID)
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.Refused}, key)
	}
	req, err := booking.Parse(text, e.ReceivedAt, s.loc)
	if err != nil {
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: questionText(org, err)}, key)
	}
	summary := t.Understood + "\n" + req.Summary(bookingLang(org))
	return s.enqueue(ctx, org.ID, "", reply, lineworks.ButtonTemplate{
		ContentText: lineworks.TruncateText(lineworks.EscapeText(summary), contentTextLimit),
		Actions: []lineworks.Action{
			lineworks.MessageAction{Label: t.Confirm, Text: t.Confirm, Postback: encodePostback(actionBook, e.ID)},
			lineworks.MessageAction{Label: t.Cancel, Text: t.Cancel, Postback: encodePostback(actionDiscard, e.ID)},
		},
	}, key)
}

// chatHelp answers a 1:1 text that is no command (「やめる」 typed instead
// of tapped, "hello") with how to make an appointment, so a staff member
// is never left without an answer. Only registered staff get it: the bot
// serves them, and anyone else in the tenant who writes to it (or a bot
// whose messages reach it) gets nothing, as before — an answer to every
// stranger's chat would invite a conversation the bot cannot have. A
// stranger who writes an actual command is still told politely that only
// staff can book (chatBooking).
func (s *Service) chatHelp(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source) error {
	st, err := s.staffByUser(ctx, org, src.UserID)
	if err != nil || st == nil {
		return err
	}
	reply := reception.Target{Kind: reception.TargetUser, ID: src.UserID}
	return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: apptTextsFor(org).Help}, "inbox/"+e.ID+"/reply")
}

// questionText is what the bot asks back when Parse did not make an
// appointment.
func questionText(org *reception.Organization, err error) string {
	var q *booking.Question
	if errors.As(err, &q) {
		return q.Text(bookingLang(org))
	}
	return apptTextsFor(org).Failed + err.Error()
}

// confirmBooking handles a tap on 「登録する」 (or, with discard, on
// 「やめる」) for the request in inbox entry reqID.
func (s *Service) confirmBooking(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, reqID string, discard bool) error {
	t := apptTextsFor(org)
	reply := reception.Target{Kind: reception.TargetUser, ID: src.UserID}
	key := "inbox/" + e.ID + "/reply"
	text, sender, received, err := s.bookingRequest(ctx, org, reqID)
	switch {
	case errors.Is(err, reception.ErrNotFound):
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.NotFound}, key)
	case err != nil:
		return err
	case sender != src.UserID:
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.NotYours}, key)
	case discard:
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.Discarded}, key)
	}
	st, err := s.staffByUser(ctx, org, src.UserID)
	if err != nil {
		return err
	}
	if st == nil {
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.Refused}, key)
	}
	req, err := booking.Parse(text, received, s.loc)
	if err != nil {
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: questionText(org, err)}, key)
	}
	a := s.bookedAppointment(org.ID, reqID, req, st)
	_, err = s.CreateAppointment(ctx, a)
	if errors.Is(err, reception.ErrConflict) && !errors.Is(err, reception.ErrCodeInUse) {
		if _, gerr := s.store.GetAppointment(ctx, org.ID, a.ID); gerr == nil {
			return nil // tapped twice: the first tap made it and was answered
		}
	}
	var fe *reception.FieldError
	if errors.As(err, &fe) || errors.Is(err, reception.ErrInvalid) {
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.Failed + lineworks.EscapeText(err.Error())}, key)
	}
	return err
}

// bookingRequest reads the text and sender of the request in inbox entry
// id; ErrNotFound when it is not an appointment command of org.
func (s *Service) bookingRequest(ctx context.Context, org *reception.Organization, id string) (text, sender string, received time.Time, err error) {
	orig, err := s.store.GetInbox(ctx, id)
	if err != nil {
		return "", "", time.Time{}, err
	}
	ev, err := lineworks.ParseEvent(orig.Body)
	if err != nil || orig.OrgID != org.ID {
		return "", "", time.Time{}, reception.ErrNotFound
	}
	text, ok := typedText(ev)
	if !ok || !booking.IsCommand(text) || ev.EventSource().ChannelID != "" {
		return "", "", time.Time{}, reception.ErrNotFound
	}
	return text, ev.EventSource().UserID, orig.ReceivedAt, nil
}

// bookedAppointment is the appointment of a confirmed chat request; its ID
// is derived from the request's inbox entry.
func (s *Service) bookedAppointment(orgID, reqID string, req *booking.Request, host *reception.Staff) *reception.Appointment {
	a := &reception.Appointment{
		ID:           derivedID("c", orgID, reqID),
		OrgID:        orgID,
		HostStaffIDs: []string{host.ID},
		PartySize:    req.PartySize,
		Title:        strings.TrimSpace(req.Title),
		Room:         strings.TrimSpace(req.Room),
		StartsAt:     req.StartsAt,
		CreatedBy:    host.UserID,
	}
	for _, v := range req.Visitors {
		a.Visitors = append(a.Visitors, reception.AppointmentVisitor{Company: v.Company, Name: v.Name})
	}
	if !req.Until.IsZero() {
		a.Period = true
		a.ValidFrom, _ = reception.DayValidity(req.StartsAt, s.loc)
		_, a.ValidUntil = reception.DayValidity(req.Until, s.loc)
	}
	return a
}
