package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/notify/booking"
	"github.com/uketsuke/uketsuke/reception"
)

// CallbackHandler returns the endpoint LINE WORKS posts callbacks to (the
// server mounts it at /callback/lineworks). It serves every organization:
// the X-WORKS-BotId header selects the organization and its bot secret. A
// verified callback is stored in the inbox and answered 200 at once — LINE
// WORKS never redelivers, so nothing slow or fallible happens before the
// event is durable. Identical bodies are stored once. Bot secrets are
// cached (secretcache.go).
//
// It panics when an option is invalid (a negative body limit, say): that is
// a programming error of the caller, found at start-up, like a bad regexp
// given to regexp.MustCompile.
func (s *Service) CallbackHandler(opts ...lineworks.CallbackOption) http.Handler {
	h, err := lineworks.NewCallbackReceiver(s.botSecret, s.storeCallback, opts...)
	if err != nil {
		panic("notify: CallbackHandler: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, withPeek(r)) })
}

// botSecret is the cached secret of botID, or the stored one.
func (s *Service) botSecret(ctx context.Context, botID int64) (string, error) {
	now := s.now()
	if secret, ok := s.secrets.get(botID, now, func(secret string) bool { return signedWith(ctx, secret) }); ok {
		return secret, nil
	}
	secret, err := s.storedBotSecret(ctx, botID)
	if err != nil {
		return "", err
	}
	s.secrets.put(botID, secret, now)
	return secret, nil
}

func (s *Service) storedBotSecret(ctx context.Context, botID int64) (string, error) {
	org, err := s.store.GetOrganizationByBotID(ctx, botID)
	if err != nil {
		return "", err
	}
	full, err := s.store.GetOrganizationWithSecrets(ctx, org.ID)
	if err != nil {
		return "", err
	}
	if full.Integration.BotSecret == "" {
		return "", errors.New("notify: the bot has no secret configured")
	}
	return full.Integration.BotSecret, nil
}

func (s *Service) storeCallback(ctx context.Context, cb *lineworks.Callback) error {
	org, err := s.store.GetOrganizationByBotID(ctx, cb.BotID)
	if err != nil {
		return err
	}
	e := reception.NewInboxEntry(org.ID, cb.BotID, cb.Body, s.now())
	inserted, err := s.store.InsertInbox(ctx, e)
	if err != nil {
		return err
	}
	typ := "unknown"
	if cb.Event != nil {
		typ = cb.Event.Type()
	}
	if !inserted {
		typ = "duplicate"
	}
	s.metrics.Inc(MetricCallbacks, typ)
	kick(s.kickInbox)
	return nil
}

func (s *Service) runInbox(ctx context.Context) {
	for {
		n, err := s.ProcessInboxOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("leasing inbox entries", "err", err)
		}
		if ctx.Err() != nil {
			return
		}
		if n < s.batch {
			if !wait(ctx, s.pollInterval, s.kickInbox) {
				return
			}
		}
	}
}

// ProcessInboxOnce leases one batch of stored callbacks and handles them,
// returning how many it leased.
func (s *Service) ProcessInboxOnce(ctx context.Context) (int, error) {
	entries, err := s.store.LeaseInbox(ctx, s.owner, s.batch, s.leaseFor, s.now())
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	var g errgroup.Group
	g.SetLimit(s.concurrency)
	for _, e := range entries {
		g.Go(func() error {
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.leaseFor*3/4)
			defer cancel()
			s.processInbox(hctx, e)
			return nil
		})
	}
	_ = g.Wait()
	return len(entries), nil
}

func (s *Service) processInbox(ctx context.Context, e *reception.InboxEntry) {
	log := s.log.With("org", e.OrgID, "inbox", e.ID)
	err := s.handleCallback(ctx, e)
	// Recorded under its own deadline, as deliveries are: a handler that
	// used up its time must still mark the entry, or it is handled again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := s.now()
	switch {
	case err == nil:
		if cerr := s.store.CompleteInbox(ctx, e.ID, s.owner, now); cerr != nil {
			log.Error("completing an inbox entry", "err", cerr)
		}
	case e.Attempts >= s.maxAttempts || errors.Is(err, lineworks.ErrMalformedEvent):
		log.Error("callback given up", "attempts", e.Attempts, "err", errorText(err))
		if derr := s.store.DeadInbox(ctx, e.ID, s.owner, now, errorText(err)); derr != nil {
			log.Error("dead-lettering a callback", "err", derr)
		}
	default:
		log.Warn("callback will be retried", "attempts", e.Attempts, "err", errorText(err))
		if ferr := s.store.RetryInbox(ctx, e.ID, s.owner, now.Add(s.backoff(e.Attempts, err)), errorText(err)); ferr != nil {
			log.Error("scheduling a callback retry", "err", ferr)
		}
	}
}

// handleCallback acts on one stored callback. Every message it sends is
// enqueued with a dedupe key derived from the inbox entry, so handling an
// entry twice (after a crash) sends nothing twice.
func (s *Service) handleCallback(ctx context.Context, e *reception.InboxEntry) error {
	ev, err := lineworks.ParseEvent(e.Body)
	if err != nil {
		return err
	}
	org, err := s.store.GetOrganization(ctx, e.OrgID)
	if err != nil {
		if errors.Is(err, reception.ErrNotFound) {
			return nil // the organization was deleted meanwhile: nothing to do
		}
		return err
	}
	at := ev.IssuedTime()
	if at.IsZero() {
		at = e.ReceivedAt
	}
	src := ev.EventSource()
	switch ev.(type) {
	case lineworks.JoinEvent:
		if src.ChannelID == "" {
			return nil
		}
		room := &reception.Room{OrgID: org.ID, ChannelID: src.ChannelID, Title: s.roomTitle(ctx, org, src.ChannelID), JoinedAt: at}
		if err := s.store.PutRoom(ctx, room); err != nil {
			return err
		}
		t := s.textsFor(org)
		text, err := t.render("RoomID", "", map[string]string{"ChannelID": lineworks.EscapeText(src.ChannelID)}, textLimit)
		if err != nil {
			return err
		}
		return s.enqueue(ctx, org.ID, "", reception.Target{Kind: reception.TargetRoom, ID: src.ChannelID}, lineworks.Text{Text: text}, "inbox/"+e.ID+"/roomid")
	case lineworks.LeaveEvent:
		if src.ChannelID == "" {
			return nil
		}
		err := s.store.MarkRoomLeft(ctx, org.ID, src.ChannelID, at)
		if errors.Is(err, reception.ErrNotFound) {
			return nil // a room we never saw joined
		}
		return err
	}
	if text, ok := typedText(ev); ok && src.ChannelID == "" && src.UserID != "" {
		if booking.IsCommand(text) {
			return s.chatBooking(ctx, org, e, src, text)
		}
		return s.chatHelp(ctx, org, e, src)
	}
	data, ok := lineworks.Tap(ev)
	if !ok {
		return nil // anything else is ignored quietly
	}
	action, id, ok := decodePostback(data)
	if !ok || src.UserID == "" {
		return nil
	}
	switch action {
	case actionAccept:
		return s.accept(ctx, org, e, src, id, at)
	case actionEscalate:
		return s.escalate(ctx, org, e, src, id, at)
	case actionBook, actionDiscard:
		return s.confirmBooking(ctx, org, e, src, id, action == actionDiscard)
	}
	return nil
}

// replyTarget answers where the tap came from: the room, or 1:1.
func replyTarget(src lineworks.Source) reception.Target {
	if src.ChannelID != "" {
		return reception.Target{Kind: reception.TargetRoom, ID: src.ChannelID}
	}
	return reception.Target{Kind: reception.TargetUser, ID: src.UserID}
}

func (s *Service) accept(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, visitID string, at time.Time) error {
	t := s.textsFor(org)
	reply := replyTarget(src)
	cur, err := s.store.GetVisit(ctx, org.ID, visitID)
	if errors.Is(err, reception.ErrNotFound) {
		s.metrics.Inc(MetricClaims, "unknown")
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.UnknownVisit}, "inbox/"+e.ID+"/reply")
	}
	if err != nil {
		return err
	}
	if ok, err := s.tapAllowed(ctx, org, cur, src); err != nil || !ok {
		if err != nil {
			return err
		}
		return s.refuseTap(ctx, org, e, src, visitID, actionAccept)
	}
	// This very tap was applied before (the callback is handled again
	// after a crash): claiming again could take back a visit its handler
	// has handed back since. While the tapper still handles the visit, its
	// announcements are enqueued again (their keys make that a no-op if
	// they went out); once the visit moved on, announcing it would be news
	// that is no longer true.
	if slices.ContainsFunc(cur.Events, func(ev reception.VisitEvent) bool {
		return ev.Kind == reception.EventAccepted && ev.ActorUserID == src.UserID && ev.At.Sub(at).Abs() < time.Millisecond
	}) {
		if cur.Status != reception.StatusAccepted || cur.HandlerUserID != src.UserID {
			return nil
		}
		return s.announceAccepted(ctx, org, e, src, reply, cur)
	}
	v, err := s.store.ClaimVisit(ctx, org.ID, visitID, src.UserID, at)
	var conflict *reception.ClaimConflictError
	switch {
	case errors.Is(err, reception.ErrNotFound):
		s.metrics.Inc(MetricClaims, "unknown")
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.UnknownVisit}, "inbox/"+e.ID+"/reply")
	case errors.As(err, &conflict):
		s.metrics.Inc(MetricClaims, "conflict")
		if conflict.Status == reception.StatusClosed || conflict.Handler == "" {
			// A closed visit is over, whoever handled it.
			return s.enqueue(ctx, org.ID, visitID, reply, lineworks.Text{Text: t.ClosedVisit}, "inbox/"+e.ID+"/reply")
		}
		return s.alreadyTaken(ctx, org, e, src, reply, cur, conflict.Handler)
	case err != nil:
		return err
	}
	// This tap won if the claim it made is the one recorded. Stores keep
	// microseconds, so compare with a tolerance rather than exactly.
	if won := v.HandlerUserID == src.UserID && v.HandledAt.Sub(at).Abs() < time.Millisecond; !won {
		// The handler tapped again: nothing new to announce.
		s.metrics.Inc(MetricClaims, "repeat")
		return nil
	}
	s.metrics.Inc(MetricClaims, "won")
	s.log.Info("visit accepted", "org", org.ID, "visit", v.ID, "handler", src.UserID)
	return s.announceAccepted(ctx, org, e, src, reply, v)
}

// announceAccepted tells everybody who was told about v who handles it:
// the tapper where the tap came from, and the visit's audience — its rooms
// and the staff notified personally (but the handler, who knows).
func (s *Service) announceAccepted(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, reply reception.Target, v *reception.Visit) error {
	t := s.textsFor(org)
	aud, err := s.audienceOf(ctx, org, v)
	if err != nil {
		return err
	}
	var targets targetList
	targets.add(reply)
	targets.rooms(aud.rooms)
	// The tapper may be in the audience by login e-mail (identity.go).
	users := slices.DeleteFunc(slices.Clone(aud.users), func(id string) bool {
		return strings.Contains(id, "@") && s.isUser(ctx, org, src.UserID, []string{id})
	})
	targets.users(users, src.UserID)
	for _, to := range targets {
		text, err := t.render("Accepted", "", map[string]string{
			"Visitor": visitorLabel(t, v), "Handler": s.nameOrMention(ctx, org, src.UserID), "Button": aud.label,
		}, textLimit)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, org.ID, v.ID, to, lineworks.Text{Text: text}, "visit/"+v.ID+"/accepted/"+e.ID+"/"+string(to.Kind)+"/"+to.ID); err != nil {
			return err
		}
	}
	return s.enqueueEvent(ctx, Event{ID: "accepted/" + e.ID, Kind: EventAccepted, OrgID: org.ID, VisitID: v.ID, At: v.HandledAt, UserID: src.UserID})
}

// targetList collects the targets of one message, each once, in order.
type targetList []reception.Target

func (l *targetList) add(to reception.Target) {
	if !slices.Contains(*l, to) {
		*l = append(*l, to)
	}
}

func (l *targetList) rooms(ids []string) {
	for _, id := range ids {
		l.add(reception.Target{Kind: reception.TargetRoom, ID: id})
	}
}

// users adds the users ids but except, who needs no message of their own
// (the person who tapped).
func (l *targetList) users(ids []string, except string) {
	for _, id := range ids {
		if id != except {
			l.add(reception.Target{Kind: reception.TargetUser, ID: id})
		}
	}
}

// alreadyTaken tells the tapper that handler already handles v.
func (s *Service) alreadyTaken(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, reply reception.Target, v *reception.Visit, handler string) error {
	t := s.textsFor(org)
	text, err := t.render("AlreadyTaken", "", map[string]string{
		"Tapper": lineworks.Mention(src.UserID), "Visitor": visitorLabel(t, v), "Handler": s.nameOrMention(ctx, org, handler),
	}, textLimit)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, org.ID, v.ID, reply, lineworks.Text{Text: text}, "inbox/"+e.ID+"/reply")
}

func (s *Service) escalate(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, visitID string, at time.Time) error {
	t := s.textsFor(org)
	reply := replyTarget(src)
	v, err := s.store.GetVisit(ctx, org.ID, visitID)
	if errors.Is(err, reception.ErrNotFound) {
		return s.enqueue(ctx, org.ID, "", reply, lineworks.Text{Text: t.UnknownVisit}, "inbox/"+e.ID+"/reply")
	}
	if err != nil {
		return err
	}
	if ok, err := s.tapAllowed(ctx, org, v, src); err != nil || !ok {
		if err != nil {
			return err
		}
		return s.refuseTap(ctx, org, e, src, visitID, actionEscalate)
	}
	if v.Status == reception.StatusClosed {
		return s.enqueue(ctx, org.ID, visitID, reply, lineworks.Text{Text: t.ClosedVisit}, "inbox/"+e.ID+"/reply")
	}
	aud, err := s.audienceOf(ctx, org, v)
	if err != nil {
		return err
	}
	targets, err := s.escalationTargets(ctx, org, v, aud, src)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		// Nobody else: say so rather than claim the request went out.
		text := t.NoRoom
		if v.AppointmentID != "" {
			text = apptTextsFor(org).NoOneElse
		}
		return s.enqueue(ctx, org.ID, visitID, reply, lineworks.Text{Text: text}, "inbox/"+e.ID+"/reply")
	}
	// The event names the callback that caused it, so handling the same
	// callback again (after a crash before it was marked done) records it
	// once; the messages below are deduplicated by their keys.
	note := "inbox " + e.ID
	back := handedBack(v, note, src.UserID)
	if !slices.ContainsFunc(v.Events, func(ev reception.VisitEvent) bool {
		return ev.Kind == reception.EventEscalated && ev.Note == note
	}) {
		_, err := s.store.AppendVisitEvent(ctx, org.ID, visitID, reception.VisitEvent{Kind: reception.EventEscalated, At: at, ActorUserID: src.UserID, Note: note})
		var conflict *reception.ClaimConflictError
		switch {
		case errors.As(err, &conflict) && conflict.Status != reception.StatusClosed:
			// Someone else handles the visit: tell the tapper who, and
			// leave it with them.
			return s.alreadyTaken(ctx, org, e, src, reply, v, conflict.Handler)
		case errors.Is(err, reception.ErrConflict):
			// Closed meanwhile.
			return s.enqueue(ctx, org.ID, visitID, reply, lineworks.Text{Text: t.ClosedVisit}, "inbox/"+e.ID+"/reply")
		case err != nil:
			return err
		}
		s.metrics.Inc(MetricEscalated, "")
	}
	if err := s.askOthers(ctx, org, e, src, v, aud.label, targets); err != nil {
		return err
	}
	return s.enqueueEvent(ctx, Event{ID: "escalated/" + e.ID, Kind: EventEscalated, OrgID: org.ID, VisitID: v.ID, At: at,
		UserID: src.UserID, HandedBack: back})
}

// escalationTargets is who an escalation asks. The request goes to the
// visit's rooms with @All, and to the room the tap came from if that is
// another; a visit announced to nobody but staff personally asks the
// others among them, 1:1 (@All works only in talk rooms). An appointment's
// arrival usually went to its hosts alone, so asking "the others among
// them" would ask nobody, or the tapper again: its escalation goes to the
// rooms of the enabled buttons that list a host, else the organization's
// default room, and to the other hosts 1:1. The tapper is never a target,
// also when they are registered by login e-mail (isUser).
func (s *Service) escalationTargets(ctx context.Context, org *reception.Organization, v *reception.Visit, aud audience, src lineworks.Source) (targetList, error) {
	var targets targetList
	if src.ChannelID != "" {
		targets.rooms([]string{src.ChannelID})
	}
	targets.rooms(aud.rooms)
	if v.AppointmentID != "" {
		rooms, err := s.appointmentEscalationRooms(ctx, org, v.AppointmentID)
		if err != nil {
			return nil, err
		}
		targets.rooms(rooms)
	} else if len(targets) > 0 {
		return targets, nil
	}
	for _, u := range aud.users {
		if u != src.UserID && !s.isUser(ctx, org, src.UserID, []string{u}) {
			targets.add(reception.Target{Kind: reception.TargetUser, ID: u})
		}
	}
	return targets, nil
}

// appointmentEscalationRooms are the rooms of the enabled buttons that
// list one of the appointment's hosts, else the default room (none when
// the appointment is gone: its audience already has the default room).
func (s *Service) appointmentEscalationRooms(ctx context.Context, org *reception.Organization, apptID string) ([]string, error) {
	a, err := s.store.GetAppointment(ctx, org.ID, apptID)
	if errors.Is(err, reception.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rooms, err := s.hostButtonRooms(ctx, org, a)
	if err != nil {
		return nil, err
	}
	if len(rooms) == 0 && org.Integration.DefaultChannelID != "" {
		rooms = []string{org.Integration.DefaultChannelID}
	}
	return rooms, nil
}

// askOthers sends the escalation request to targets: @All in rooms, and a
// 「対応します」 button, keyed by the callback so that handling it again
// sends nothing twice.
func (s *Service) askOthers(ctx context.Context, org *reception.Organization, e *reception.InboxEntry, src lineworks.Source, v *reception.Visit, label string, targets targetList) error {
	t := s.textsFor(org)
	for _, to := range targets {
		all := ""
		if to.Kind == reception.TargetRoom {
			all = lineworks.MentionAll
		}
		text, err := t.render("Escalated", "", map[string]string{
			"All": all, "Visitor": visitorLabel(t, v), "Requester": s.nameOrMention(ctx, org, src.UserID), "Button": label,
		}, textLimit)
		if err != nil {
			return err
		}
		content := lineworks.ButtonTemplate{ContentText: lineworks.TruncateText(strings.TrimSpace(text), contentTextLimit), Actions: []lineworks.Action{
			lineworks.MessageAction{Label: t.AcceptLabel, Text: t.AcceptLabel, Postback: encodePostback(actionAccept, v.ID)},
		}}
		key := "inbox/" + e.ID + "/escalate/" + to.ID
		if to.Kind == reception.TargetUser {
			key = "inbox/" + e.ID + "/escalate/user/" + to.ID
		}
		if err := s.enqueue(ctx, org.ID, v.ID, to, content, key); err != nil {
			return err
		}
	}
	return nil
}

// nameOrMention names a user: the real name from the Users API when the
// organization granted user.read (cached for an hour), otherwise a mention,
// which LINE WORKS renders as the user's name and needs only the bot scope.
func (s *Service) nameOrMention(ctx context.Context, org *reception.Organization, userID string) string {
	if !org.Integration.HasScope("user.read") && !org.Integration.HasScope("user") && !org.Integration.HasScope("directory.read") {
		return lineworks.Mention(userID)
	}
	key := org.ID + "\x00" + userID
	s.namesMu.Lock()
	c, ok := s.names[key]
	s.namesMu.Unlock()
	if ok && s.now().Before(c.expires) {
		return c.name
	}
	full, err := s.store.GetOrganizationWithSecrets(ctx, org.ID)
	if err != nil {
		return lineworks.Mention(userID)
	}
	api, err := s.connector.Connect(ctx, full)
	if err != nil {
		return lineworks.Mention(userID)
	}
	name, err := api.DisplayName(ctx, userID)
	if err != nil || name == "" {
		s.log.Warn("looking up a display name", "org", org.ID, "err", errorText(err))
		return lineworks.Mention(userID)
	}
	name = lineworks.EscapeText(name)
	s.namesMu.Lock()
	s.names[key] = cachedName{name: name, expires: s.now().Add(time.Hour)}
	s.namesMu.Unlock()
	return name
}

// enqueue stores one reply message. A dedupe conflict means the message was
// already queued by an earlier attempt at the same callback: done.
func (s *Service) enqueue(ctx context.Context, orgID, visitID string, to reception.Target, content lineworks.Content, key string) error {
	raw, err := json.Marshal(content)
	if err != nil {
		return err
	}
	err = s.store.EnqueueOutbox(ctx, s.entry(orgID, visitID, to, raw, key))
	if errors.Is(err, reception.ErrConflict) {
		return nil
	}
	if err == nil {
		kick(s.kickOutbox)
	}
	return err
}
