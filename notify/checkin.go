package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uketsuke/uketsuke/lineworks"
	"github.com/uketsuke/uketsuke/reception"
)

// Visitor is what the kiosk asks a visitor; every field is optional.
type Visitor struct {
	Name    string
	Company string
	// Count is the party size; 0 means not asked.
	Count int
	Note  string
}

// CheckInRequest is one check-in at the kiosk.
type CheckInRequest struct {
	// ButtonID is the button tapped. Exactly one of ButtonID and Code is
	// required.
	ButtonID string
	// Code is a reception code (six digits) the visitor typed or showed as
	// a QR code, in place of a button: the visit is linked to the
	// appointment holding it and its hosts are told personally (see
	// CheckIn). Visitor fields are optional: they default to the
	// appointment's.
	Code    string
	Visitor Visitor
	// StaffID is the staff member the visitor chose, if any.
	StaffID string
	// Language is the language the visitor used at the kiosk, a BCP 47 tag
	// ("ja", "en", "zh-Hans", "ko"). The notification stays in the
	// organization's language and, when the visitor's differs, says which
	// one they used. Optional.
	Language string
	// IdempotencyKey makes a check-in that is sent again count once: a
	// kiosk that lost its connection resends with the key it made when the
	// visitor tapped. The visit's ID is derived from the organization and
	// the key, so a second CheckIn with the same key stores and queues
	// nothing and returns the first visit. Optional; at most
	// MaxIdempotencyKey characters of A–Z, a–z, 0–9, '-', '_' and '.'.
	IdempotencyKey string
	// Reference is the host application's own reference for the visit
	// (its visitor row's ID, say), opaque to uketsuke: stored on the visit
	// (reception.Visit.Reference), returned in every Event and visit
	// listing, and usable to find the visit (reception.VisitFilter).
	// Optional; at most reception.MaxReference bytes, no control
	// characters.
	Reference string
	// EnteredAt, when set and earlier than the call, is when the visitor
	// checked in: the kiosk kept the check-in while it was offline. The
	// notification shows that time and says the message comes late.
	EnteredAt time.Time
}

// MaxIdempotencyKey is the longest CheckInRequest.IdempotencyKey.
const MaxIdempotencyKey = 64

// idempotentVisitID is the visit ID of a check-in with an idempotency key:
// the same for the same organization and key, and never one NewID makes
// (those are 24 characters).
func idempotentVisitID(orgID, key string) string {
	sum := sha256.Sum256([]byte(orgID + "\x00" + key))
	return "k" + hex.EncodeToString(sum[:16])
}

// ErrNoRoute is returned by CheckIn when a visit would reach nobody: the
// button names no room and no staff, and the organization has no default
// room. It wraps reception.ErrInvalid so APIs answer 400; the message tells
// the admin what to set up.
var ErrNoRoute = fmt.Errorf("%w: notify: the button has no talk room or staff and the organization has no default room", reception.ErrInvalid)

// Limits on what a visitor can type, in characters. Longer input is refused
// (the kiosk limits its fields the same way) rather than silently cut.
const (
	MaxVisitorName    = 100
	MaxVisitorCompany = 100
	MaxVisitorNote    = 500
	MaxPartySize      = 999
)

func fieldErr(field, msg string) error {
	return &reception.FieldError{Field: field, Msg: msg}
}

// validate checks the visitor's input; errors name the JSON field.
func (r *CheckInRequest) validate() error {
	var errs []error
	switch {
	case r.Code != "" && r.ButtonID != "":
		errs = append(errs, fieldErr("code", "cannot be combined with buttonId"))
	case r.Code != "":
		if !reception.ValidCode(r.Code) {
			errs = append(errs, fieldErr("code", fmt.Sprintf("must be %d digits", reception.CodeLen)))
		}
	case strings.TrimSpace(r.ButtonID) == "":
		errs = append(errs, fieldErr("buttonId", "is required"))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"visitor.name", r.Visitor.Name, MaxVisitorName},
		{"visitor.company", r.Visitor.Company, MaxVisitorCompany},
		{"visitor.note", r.Visitor.Note, MaxVisitorNote},
	} {
		if utf8.RuneCountInString(f.v) > f.max {
			errs = append(errs, fieldErr(f.name, fmt.Sprintf("is longer than %d characters", f.max)))
		}
		if !utf8.ValidString(f.v) {
			errs = append(errs, fieldErr(f.name, "is not valid UTF-8"))
		}
	}
	if r.IdempotencyKey != "" && (len(r.IdempotencyKey) > MaxIdempotencyKey || !reception.ValidID(r.IdempotencyKey)) {
		errs = append(errs, fieldErr("idempotencyKey", fmt.Sprintf("must be 1–%d characters of A–Z, a–z, 0–9, '-', '_' or '.'", MaxIdempotencyKey)))
	}
	if len(r.Language) > 35 || strings.ContainsFunc(r.Language, func(c rune) bool {
		return !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}) {
		errs = append(errs, fieldErr("language", "must be a language tag such as ja, en, zh-Hans or ko"))
	}
	// Names show on one line in the talk room and on the admin pages; a
	// note may have line breaks, so only names are held to this.
	for _, f := range []struct{ name, v string }{{"visitor.name", r.Visitor.Name}, {"visitor.company", r.Visitor.Company}} {
		if msg := reception.NameProblem(strings.TrimSpace(f.v)); msg != "" {
			errs = append(errs, fieldErr(f.name, msg))
		}
	}
	if msg := reception.ReferenceProblem(r.Reference); msg != "" {
		errs = append(errs, fieldErr("reference", msg))
	}
	if r.Visitor.Count < 0 || r.Visitor.Count > MaxPartySize {
		errs = append(errs, fieldErr("visitor.count", fmt.Sprintf("must be between 0 and %d", MaxPartySize)))
	}
	return errors.Join(errs...)
}

// CheckIn records a visit and queues its notifications in one transaction:
// the button's rooms and staff; with the button's PersonalFirst switch and a
// chosen staff member, only that person; a button with no route falls back
// to the organization's default room; no route at all is ErrNoRoute. It never
// waits on LINE WORKS: the dispatcher sends the messages. A request with an
// IdempotencyKey already used in the organization returns that visit and
// queues nothing.
//
// A request with a Code checks in with a reception code instead: the visit
// (ButtonID AppointmentButtonID) is linked to the appointment, its hosts
// get a 1:1 notification with 「対応します」 / 「他の人に対応を依頼」 and
// the appointment's details (with WithAppointmentRooms, the rooms of the
// buttons that list a host too), and the appointment is marked arrived. A
// code no appointment has is ErrUnknownCode; one that cannot be used now
// (not yet valid, expired, cancelled, already used) a *reception.CodeError.
// An ordinary (one-day) code makes one visit; a request sent again with its
// IdempotencyKey returns that visit, any other check-in with the code is
// refused as used. A period code makes a visit per check-in.
func (s *Service) CheckIn(ctx context.Context, orgID string, req CheckInRequest) (*reception.Visit, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	if req.Code != "" {
		return s.codeCheckIn(ctx, orgID, req)
	}
	org, button, chosen, err := s.checkInSubjects(ctx, orgID, req)
	if err != nil {
		return nil, err
	}
	now := s.now()
	visit := newVisit(orgID, req, button, now)
	rooms, users, err := s.route(ctx, org, button, chosen, true)
	if errors.Is(err, ErrNoRoute) {
		// The visitor sees an error at the kiosk; the admin must hear of
		// it too (the admin page flags such buttons as well).
		s.log.Warn("check-in refused: the button reaches no room and no staff, and the organization has no default room", "org", orgID, "button", button.ID)
	}
	if err != nil {
		return nil, err
	}
	staffName := ""
	if chosen != nil {
		staffName = chosen.Name
	}
	t := s.textsFor(org)
	content, err := s.buildNotification(t, org, button, visit, staffName, s.location(), visitNotes{language: req.Language, enteredAt: req.EnteredAt})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, err
	}
	var entries []*reception.OutboxEntry
	for _, ch := range rooms {
		entries = append(entries, s.entry(orgID, visit.ID, reception.Target{Kind: reception.TargetRoom, ID: ch}, raw, "visit/"+visit.ID+"/notify/room/"+ch))
	}
	for _, u := range users {
		entries = append(entries, s.entry(orgID, visit.ID, reception.Target{Kind: reception.TargetUser, ID: u}, raw, "visit/"+visit.ID+"/notify/user/"+u))
	}
	if ev := s.eventEntry(Event{ID: string(EventCheckedIn), Kind: EventCheckedIn, OrgID: orgID, VisitID: visit.ID, At: now}); ev != nil {
		entries = append(entries, ev)
	}
	return s.storeCheckIn(ctx, visit, entries, content, req.IdempotencyKey != "")
}

// CheckInTx is CheckIn inside tx, a transaction the application opened on
// the store's database — a pgx.Tx with pgstore, a *sql.Tx begun on
// sqlitestore's Store.DB with sqlitestore — so that the application's own
// rows and the visit with its queued notifications commit together, or
// not at all (see reception.WithTx). Nothing is sent before the commit;
// the dispatcher finds the entries at its next poll (WithDelivery's poll
// interval) or at once after Wake. A transaction the store cannot join
// fails with reception.ErrInvalid, and so does a request with a Code (the
// appointment's arrival is recorded outside the transaction). In tests,
// memstore's Store.Begin gives a transaction of uketsuke's writes alone.
func (s *Service) CheckInTx(ctx context.Context, tx any, orgID string, req CheckInRequest) (*reception.Visit, error) {
	if tx == nil {
		return nil, fmt.Errorf("notify: CheckInTx without a transaction: %w", reception.ErrInvalid)
	}
	return s.CheckIn(reception.WithTx(ctx, tx), orgID, req)
}

// Wake makes the dispatcher look for due entries now instead of at its
// next poll, e.g. right after the application committed a transaction
// given to CheckInTx.
func (s *Service) Wake() { kick(s.kickOutbox) }

// checkInSubjects reads the organization, the button and the chosen staff
// member of a check-in, and refuses a disabled button or inactive staff.
func (s *Service) checkInSubjects(ctx context.Context, orgID string, req CheckInRequest) (*reception.Organization, *reception.Button, *reception.Staff, error) {
	org, err := s.store.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, nil, nil, err
	}
	button, err := s.store.GetButton(ctx, orgID, req.ButtonID)
	if err != nil {
		if errors.Is(err, reception.ErrNotFound) {
			return nil, nil, nil, fmt.Errorf("%w: buttonId: no such button", err)
		}
		return nil, nil, nil, err
	}
	if !button.Enabled {
		return nil, nil, nil, fieldErr("buttonId", "the button is disabled")
	}
	var chosen *reception.Staff
	if req.StaffID != "" {
		chosen, err = s.store.GetStaff(ctx, orgID, req.StaffID)
		if err != nil {
			if errors.Is(err, reception.ErrNotFound) {
				return nil, nil, nil, fieldErr("staffId", "no such staff member")
			}
			return nil, nil, nil, err
		}
		if !chosen.Active {
			return nil, nil, nil, fieldErr("staffId", "the staff member is not active")
		}
	}
	return org, button, chosen, nil
}

// newVisit is the visit a check-in stores.
func newVisit(orgID string, req CheckInRequest, button *reception.Button, now time.Time) *reception.Visit {
	id := reception.NewID()
	if req.IdempotencyKey != "" {
		id = idempotentVisitID(orgID, req.IdempotencyKey)
	}
	visit := &reception.Visit{
		ID:          id,
		OrgID:       orgID,
		VisitorName: strings.TrimSpace(req.Visitor.Name),
		Company:     strings.TrimSpace(req.Visitor.Company),
		PartySize:   req.Visitor.Count,
		Note:        strings.TrimSpace(req.Visitor.Note),
		ButtonID:    button.ID,
		StaffID:     req.StaffID,
		Reference:   req.Reference,
		Status:      reception.StatusWaiting,
		CreatedAt:   now,
	}
	if next, ok := button.Reminder.Next(now, 0); ok {
		visit.NextReminderAt = next
	}
	return visit
}

// storeCheckIn stores the visit and its entries and sends them. With
// idempotent set, a visit ID that exists means the check-in was stored
// before: that visit is returned and nothing is sent again.
func (s *Service) storeCheckIn(ctx context.Context, visit *reception.Visit, entries []*reception.OutboxEntry, content lineworks.Content, idempotent bool) (*reception.Visit, error) {
	now := visit.CreatedAt
	// In the application's transaction nothing may go out before its
	// commit: the dispatcher sends the entries once they are visible.
	_, inTx := reception.TxFrom(ctx)
	fast := !inTx && s.beginFast()
	var leased []*reception.OutboxEntry
	if fast {
		// Leased to us in the check-in transaction: sent below without a
		// second write; if this process dies, the lease lapses and any
		// dispatcher sends them. Events wait for the dispatcher.
		for _, e := range entries {
			if e.Target.Kind != reception.TargetApp {
				e.Attempts, e.LeaseOwner, e.LeaseExpiresAt = 1, s.owner, now.Add(s.leaseFor)
				leased = append(leased, e)
			}
		}
	}
	if err := s.store.CheckIn(ctx, visit, entries); err != nil {
		if fast {
			s.fast.Done()
		}
		if idempotent && errors.Is(err, reception.ErrConflict) {
			if first, gerr := s.store.GetVisit(ctx, visit.OrgID, visit.ID); gerr == nil {
				s.log.Info("check-in sent again; already stored", "org", visit.OrgID, "visit", visit.ID)
				return first, nil
			}
		}
		return nil, err
	}
	s.metrics.Inc(MetricCheckIns, "")
	s.log.Info("checked in", "org", visit.OrgID, "visit", visit.ID, "button", visit.ButtonID, "entries", len(entries))
	if fast {
		go s.sendNow(ctx, leased, content)
	}
	if !fast || len(leased) < len(entries) {
		kick(s.kickOutbox)
	}
	return visit, nil
}

// beginFast reports whether the fast path is on (Run is running) and, if
// so, registers one fast delivery that the caller must finish with
// s.fast.Done.
func (s *Service) beginFast() bool {
	s.fastMu.Lock()
	defer s.fastMu.Unlock()
	if !s.running {
		return false
	}
	s.fast.Add(1)
	return true
}

// sendNow delivers entries CheckIn stored leased to this service, through
// the fair queue like every send. Entries not started when Run ends stay
// leased until Run releases them.
func (s *Service) sendNow(ctx context.Context, entries []*reception.OutboxEntry, content lineworks.Content) {
	defer s.fast.Done()
	s.fastMu.Lock()
	stop := s.runStop
	s.fastMu.Unlock()
	var wg sync.WaitGroup
	jobs := make([]*job, 0, len(entries))
	for _, e := range entries {
		wg.Add(1)
		s.jobs.Add(1)
		jobs = append(jobs, &job{e: e, typed: content, ctx: context.WithoutCancel(ctx), stop: stop, done: func() {
			s.jobs.Done()
			wg.Done()
		}})
	}
	s.fq.submit(jobs...)
	wg.Wait()
}

func (s *Service) entry(orgID, visitID string, to reception.Target, content json.RawMessage, key string) *reception.OutboxEntry {
	e := reception.NewOutboxEntry(orgID, to, content, key, s.now())
	e.VisitID = visitID
	return e
}

// route returns the rooms and LINE WORKS users a visit is announced to.
// warn logs a button that names a deleted staff member: at check-in, not
// again at every later message about the visit.
func (s *Service) route(ctx context.Context, org *reception.Organization, b *reception.Button, chosen *reception.Staff, warn bool) (rooms, users []string, err error) {
	if chosen != nil && b.PersonalFirst && chosen.UserID != "" {
		return nil, []string{chosen.UserID}, nil
	}
	rooms = slices.Clone(b.ChannelIDs)
	for _, id := range b.StaffIDs {
		st, err := s.store.GetStaff(ctx, org.ID, id)
		if errors.Is(err, reception.ErrNotFound) {
			// A staff member deleted after the button was set up: skip,
			// the rest of the route still works.
			if warn {
				s.log.Warn("button names a missing staff member", "org", org.ID, "button", b.ID, "staff", id)
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if st.Active && st.UserID != "" && !slices.Contains(users, st.UserID) {
			users = append(users, st.UserID)
		}
	}
	if chosen != nil && chosen.UserID != "" && !slices.Contains(users, chosen.UserID) {
		// The visitor asked for someone: they hear about it personally too.
		users = append(users, chosen.UserID)
	}
	if len(rooms) == 0 && len(users) == 0 && org.Integration.DefaultChannelID != "" {
		// A button that reaches nobody falls back to the default room; one
		// that notifies staff personally is a route of its own.
		rooms = []string{org.Integration.DefaultChannelID}
	}
	if len(rooms) == 0 && len(users) == 0 {
		return nil, nil, ErrNoRoute
	}
	return rooms, users, nil
}

// audience is who a visit concerns: worked out again, the way CheckIn
// routes, from its button's current settings and its chosen staff member.
// Later messages about the visit — acceptance, escalation, reminders — go
// to these people, who are those the check-in reached unless an admin has
// changed the button since (a deleted button leaves the default room).
type audience struct {
	// button is the visit's button; nil when it was deleted since.
	button *reception.Button
	// label is the button's label in the organization's language, escaped
	// for message text; empty when the button is gone.
	label string
	// rooms and users are the rooms and LINE WORKS users notified.
	rooms, users []string
}

// audienceOf returns v's audience. A button deleted since the check-in
// leaves the organization's default room, if any.
func (s *Service) audienceOf(ctx context.Context, org *reception.Organization, v *reception.Visit) (audience, error) {
	var a audience
	if v.AppointmentID != "" {
		return s.appointmentAudience(ctx, org, v)
	}
	b, err := s.store.GetButton(ctx, org.ID, v.ButtonID)
	switch {
	case errors.Is(err, reception.ErrNotFound):
		if org.Integration.DefaultChannelID != "" {
			a.rooms = []string{org.Integration.DefaultChannelID}
		}
		return a, nil
	case err != nil:
		return a, err
	}
	a.button, a.label = b, lineworks.EscapeText(buttonLabel(org, b))
	var chosen *reception.Staff
	if v.StaffID != "" {
		st, err := s.store.GetStaff(ctx, org.ID, v.StaffID)
		switch {
		case err == nil:
			chosen = st
		case !errors.Is(err, reception.ErrNotFound):
			return a, err
		}
	}
	a.rooms, a.users, err = s.route(ctx, org, b, chosen, false)
	if errors.Is(err, ErrNoRoute) {
		err = nil // the route was taken away since: nobody to tell
	}
	return a, err
}
