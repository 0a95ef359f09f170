package reception

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// VisitStatus is where a visit stands.
type VisitStatus string

// The statuses of a visit. A visit starts waiting; ClaimVisit makes it
// accepted; an escalated event (「他の人に対応を依頼」) hands it back to
// everyone; a closed event ends it.
const (
	StatusWaiting   VisitStatus = "waiting"
	StatusAccepted  VisitStatus = "accepted"
	StatusEscalated VisitStatus = "escalated"
	StatusClosed    VisitStatus = "closed"
)

// Valid reports whether s is one of the defined statuses.
func (s VisitStatus) Valid() bool {
	switch s {
	case StatusWaiting, StatusAccepted, StatusEscalated, StatusClosed:
		return true
	}
	return false
}

// Unhandled reports whether a visit in status s still needs someone:
// waiting or escalated. Only unhandled visits can be claimed without
// conflict and receive reminders.
func (s VisitStatus) Unhandled() bool { return s == StatusWaiting || s == StatusEscalated }

// EventKind is the kind of a VisitEvent.
type EventKind string

// The kinds of visit events.
const (
	// EventCheckedIn is recorded by CheckIn.
	EventCheckedIn EventKind = "checked_in"
	// EventNotified records that a notification went out; it changes nothing.
	EventNotified EventKind = "notified"
	// EventReminded is recorded by RecordReminder.
	EventReminded EventKind = "reminded"
	// EventAccepted is recorded by ClaimVisit.
	EventAccepted EventKind = "accepted"
	// EventEscalated makes the visit escalated and clears its handler, so
	// anyone may claim it again.
	EventEscalated EventKind = "escalated"
	// EventClosed makes the visit closed; nothing can be claimed after it.
	EventClosed EventKind = "closed"
	// EventErased is recorded by EraseVisit: the visitor's personal data
	// (VisitorName, Company, Note) was erased on request. It changes no
	// status.
	EventErased EventKind = "erased"
)

// Valid reports whether k is one of the defined kinds.
func (k EventKind) Valid() bool {
	switch k {
	case EventCheckedIn, EventNotified, EventReminded, EventAccepted, EventEscalated, EventClosed, EventErased:
		return true
	}
	return false
}

// VisitEvent is one entry of a visit's timeline.
type VisitEvent struct {
	// Kind is what happened.
	Kind EventKind
	// At is when it happened.
	At time.Time
	// ActorUserID is the LINE WORKS user who caused it, if any.
	ActorUserID string
	// Note is free text, e.g. the reason for closing.
	Note string
}

// Visit is one visitor's check-in and what became of it.
type Visit struct {
	// ID identifies the visit within its organization; it is carried in
	// postback values.
	ID string
	// OrgID is the organization visited.
	OrgID string
	// VisitorName is the visitor's name as entered on the kiosk; optional.
	VisitorName string
	// Company is the visitor's company, if given.
	Company string
	// PartySize is the number of visitors; 0 means not asked.
	PartySize int
	// Note is free text from the kiosk.
	Note string
	// ButtonID is the button tapped. Visits keep it after the button is
	// deleted, so stores must not enforce a foreign key on it.
	ButtonID string
	// StaffID is the staff member the visitor chose, if any.
	StaffID string
	// Reference is the host application's own reference for the visit
	// (its visitor row's ID, say): opaque to uketsuke, stored as given,
	// returned with the visit and usable to find it (VisitFilter.Reference).
	// Optional; at most MaxReference bytes of valid UTF-8 without control
	// characters. It need not be unique.
	Reference string
	// AppointmentID is the appointment whose reception code the visitor
	// checked in with; empty for a check-in without one. Optional.
	AppointmentID string
	// Status is where the visit stands.
	Status VisitStatus
	// HandlerUserID is the LINE WORKS user who claimed the visit; empty
	// unless Status is accepted (or closed after being accepted).
	HandlerUserID string
	// HandledAt is when HandlerUserID claimed it.
	HandledAt time.Time
	// Reminders is the number of reminders recorded.
	Reminders int
	// NextReminderAt is when the next reminder is due; zero means none.
	// The caller computes it with ReminderPolicy.Next.
	NextReminderAt time.Time
	// CreatedAt is the check-in time. Required.
	CreatedAt time.Time
	// Events is the timeline, ordered by At and, for equal times, by the
	// order they were recorded. Stores fill it on every read.
	Events []VisitEvent
}

// Validate checks the visit; the error names each wrong field.
func (v *Visit) Validate() error {
	var f fieldErrs
	f.id("ID", v.ID)
	f.id("OrgID", v.OrgID)
	// The name is optional: kiosks may check a visitor in with one tap
	// ("delivery"), and the message then says "a visitor".
	if len([]rune(v.VisitorName)) > 100 {
		f.add("VisitorName", "is longer than 100 characters")
	}
	if len([]rune(v.Company)) > 100 {
		f.add("Company", "is longer than 100 characters")
	}
	f.name("VisitorName", v.VisitorName)
	f.name("Company", v.Company)
	if v.PartySize < 0 || v.PartySize > 1000 {
		f.add("PartySize", "must be between 0 and 1000")
	}
	if len([]rune(v.Note)) > 500 {
		f.add("Note", "is longer than 500 characters")
	}
	f.id("ButtonID", v.ButtonID)
	f.optID("StaffID", v.StaffID)
	if msg := ReferenceProblem(v.Reference); msg != "" {
		f.add("Reference", msg)
	}
	f.optID("AppointmentID", v.AppointmentID)
	if !v.Status.Valid() {
		f.addf("Status", "must be one of waiting, accepted, escalated, closed, not %q", v.Status)
	}
	f.token("HandlerUserID", v.HandlerUserID, v.Status == StatusAccepted)
	if v.Reminders < 0 {
		f.add("Reminders", "must not be negative")
	}
	if v.CreatedAt.IsZero() {
		f.add("CreatedAt", "is required")
	}
	for i, e := range v.Events {
		if !e.Kind.Valid() {
			f.addf("Events["+itoa(i)+"].Kind", "unknown kind %q", e.Kind)
		}
		if e.At.IsZero() {
			f.add("Events["+itoa(i)+"].At", "is required")
		}
	}
	return f.err()
}

// Clone returns a deep copy of v.
func (v *Visit) Clone() *Visit {
	if v == nil {
		return nil
	}
	c := *v
	c.Events = slices.Clone(v.Events)
	return &c
}

// The methods below are the visit state machine. Stores load the visit
// (locking it, or inside a transaction that serializes writers), call one of
// them, and write back the visit and the events appended — so every store
// implements exactly the same transitions.

// appendEvent adds e keeping Events ordered by At (stable for equal times).
func (v *Visit) appendEvent(e VisitEvent) {
	i := len(v.Events)
	for i > 0 && v.Events[i-1].At.After(e.At) {
		i--
	}
	v.Events = slices.Insert(v.Events, i, e)
}

// Claim applies ClaimVisit's rule to v: an unhandled visit becomes accepted
// by userID at at (with an accepted event), and changed is true; a claim by
// the current handler changes nothing and succeeds; anything else returns a
// *ClaimConflictError.
func (v *Visit) Claim(userID string, at time.Time) (changed bool, err error) {
	var f fieldErrs
	f.token("UserID", userID, true)
	if at.IsZero() {
		f.add("At", "is required")
	}
	if err := f.err(); err != nil {
		return false, err
	}
	switch {
	case v.Status.Unhandled():
		v.Status, v.HandlerUserID, v.HandledAt = StatusAccepted, userID, at
		v.appendEvent(VisitEvent{Kind: EventAccepted, At: at, ActorUserID: userID})
		return true, nil
	case v.Status == StatusAccepted && v.HandlerUserID == userID:
		return false, nil
	default:
		return false, &ClaimConflictError{Handler: v.HandlerUserID, At: v.HandledAt, Status: v.Status}
	}
}

// Apply applies an event given to AppendVisitEvent: notified changes nothing;
// escalated makes an unclosed visit escalated and clears its handler; closed
// closes an unclosed visit. Events on a closed visit other than notified
// return ErrConflict. An accepted visit is escalated only by its handler (or
// by nobody in particular: an empty ActorUserID); anyone else's escalation
// returns a *ClaimConflictError naming the handler, so a bystander's tap
// cannot take the visit away from the person handling it. Kinds with their
// own Store method (checked_in, accepted, reminded) return ErrInvalid.
func (v *Visit) Apply(e VisitEvent) error {
	var f fieldErrs
	switch e.Kind {
	case EventNotified, EventEscalated, EventClosed:
	case EventCheckedIn, EventAccepted, EventReminded, EventErased:
		f.addf("Kind", "%q events are recorded by CheckIn, ClaimVisit, RecordReminder and EraseVisit", e.Kind)
	default:
		f.addf("Kind", "unknown kind %q", e.Kind)
	}
	if e.At.IsZero() {
		f.add("At", "is required")
	}
	f.token("ActorUserID", e.ActorUserID, false)
	if err := f.err(); err != nil {
		return err
	}
	if e.Kind != EventNotified && v.Status == StatusClosed {
		return conflictf("visit %s is closed", v.ID)
	}
	switch e.Kind {
	case EventEscalated:
		if v.Status == StatusAccepted && e.ActorUserID != "" && e.ActorUserID != v.HandlerUserID {
			return &ClaimConflictError{Handler: v.HandlerUserID, At: v.HandledAt, Status: v.Status}
		}
		v.Status, v.HandlerUserID, v.HandledAt = StatusEscalated, "", time.Time{}
	case EventClosed:
		v.Status = StatusClosed
	}
	v.appendEvent(e)
	return nil
}

// HasPersonalData reports whether v still holds a visitor's personal data:
// a name, a company or a note.
func (v *Visit) HasPersonalData() bool {
	return v.VisitorName != "" || v.Company != "" || v.Note != ""
}

// ErasePersonalData blanks the visitor's personal data (VisitorName,
// Company, Note) and nothing else: counts, times and the timeline stay for
// statistics. It is what the retention purge does to an old visit.
func (v *Visit) ErasePersonalData() {
	v.VisitorName, v.Company, v.Note = "", "", ""
}

// Erase applies EraseVisit's rule to v: its personal data is blanked and an
// erased event by actorUserID (empty for an admin outside LINE WORKS) at at
// with note is appended, whatever its status. A visit already erased by an
// erased event changes nothing (changed is false).
func (v *Visit) Erase(actorUserID string, at time.Time, note string) (changed bool, err error) {
	var f fieldErrs
	f.token("ActorUserID", actorUserID, false)
	if at.IsZero() {
		f.add("At", "is required")
	}
	if len([]rune(note)) > 500 {
		f.add("Note", "is longer than 500 characters")
	}
	if err := f.err(); err != nil {
		return false, err
	}
	if !v.HasPersonalData() && slices.ContainsFunc(v.Events, func(e VisitEvent) bool { return e.Kind == EventErased }) {
		return false, nil
	}
	v.ErasePersonalData()
	v.appendEvent(VisitEvent{Kind: EventErased, At: at, ActorUserID: actorUserID, Note: note})
	return true, nil
}

// Remind applies RecordReminder's rule to v: if v is unhandled and has had
// exactly r.Seen reminders, it counts one more, sets NextReminderAt to
// r.Next and appends a reminded event at r.At; otherwise it returns
// ErrConflict, because another replica recorded the reminder or someone
// took the visit meanwhile.
func (v *Visit) Remind(r *Reminder) error {
	if !v.Status.Unhandled() {
		return conflictf("visit %s is %s", v.ID, v.Status)
	}
	if v.Reminders != r.Seen {
		return conflictf("visit %s has had %d reminders, not %d", v.ID, v.Reminders, r.Seen)
	}
	if r.Postpone {
		v.NextReminderAt = r.Next
		return nil
	}
	v.Reminders++
	v.NextReminderAt = r.Next
	v.appendEvent(VisitEvent{Kind: EventReminded, At: r.At, Note: r.Note})
	return nil
}

// Reminder is one reminder as RecordReminder records it.
type Reminder struct {
	// Seen is the Visit.Reminders count the caller saw when it found the
	// visit due. The reminder is recorded only if the count still matches,
	// so two replicas that both found the visit due send it once.
	Seen int
	// At is when the reminder is recorded.
	At time.Time
	// Next is when the following reminder is due; zero means none.
	Next time.Time
	// Note is stored on the reminded event.
	Note string
	// Entries are the reminder's messages, enqueued in the same
	// transaction; each must belong to the visit's organization.
	Entries []*OutboxEntry
	// Postpone records no reminder: it only moves NextReminderAt to Next,
	// without counting a reminder or recording an event, e.g. for a visit
	// somebody just asked for help with (that request was its reminder).
	// Next is then required and Entries must be empty.
	Postpone bool
}

// Validate checks the reminder for the visit orgID/visitID; the error names
// each wrong field.
func (r *Reminder) Validate(orgID, visitID string) error {
	var f fieldErrs
	if r.Seen < 0 {
		f.add("Seen", "must not be negative")
	}
	if r.At.IsZero() {
		f.add("At", "is required")
	}
	validateEntries(&f, orgID, visitID, r.Entries, false)
	if r.Postpone {
		if r.Next.IsZero() {
			f.add("Next", "is required to postpone a reminder")
		}
		if len(r.Entries) > 0 {
			f.add("Entries", "must be empty when postponing a reminder")
		}
	}
	return f.err()
}

// ValidateCheckIn checks what CheckIn is given: a valid new visit (waiting,
// no handler, no reminders, no events — CheckIn records the checked_in
// event) and valid new outbox entries of the same organization that refer
// to the visit or to none. The error names each wrong field, entries as
// "Entries[i].Field". Duplicate dedupe keys are conflicts, not validation
// errors, and are left to the store.
func ValidateCheckIn(v *Visit, entries []*OutboxEntry) error {
	var f fieldErrs
	if v == nil {
		f.add("Visit", "is required")
		return f.err()
	}
	f.errs = append(f.errs, v.Validate())
	if v.Status != StatusWaiting {
		f.add("Status", "must be waiting at check-in")
	}
	if v.HandlerUserID != "" {
		f.add("HandlerUserID", "must be empty at check-in")
	}
	if v.Reminders != 0 {
		f.add("Reminders", "must be 0 at check-in")
	}
	if len(v.Events) > 0 {
		f.add("Events", "must be empty at check-in; CheckIn records the checked_in event")
	}
	validateEntries(&f, v.OrgID, v.ID, entries, true)
	return f.err()
}

// validateEntries checks new entries of a visit. With preLeased, an entry
// may arrive already leased (see Store.CheckIn).
func validateEntries(f *fieldErrs, orgID, visitID string, entries []*OutboxEntry, preLeased bool) {
	for i, e := range entries {
		field := "Entries[" + itoa(i) + "]"
		if e == nil {
			f.add(field, "is nil")
			continue
		}
		if preLeased && e.LeaseOwner != "" {
			f.nest(field, e.validatePreLeased())
		} else {
			f.nest(field, e.ValidateNew())
		}
		if e.OrgID != orgID {
			f.add(field+".OrgID", "must be the visit's organization")
		}
		if e.VisitID != "" && e.VisitID != visitID {
			f.add(field+".VisitID", "must be the visit's ID or empty")
		}
	}
}

// VisitFilter selects visits for ListVisits. The zero value selects all.
type VisitFilter struct {
	// From and To bound CreatedAt: From ≤ CreatedAt < To. Zero means
	// unbounded.
	From, To time.Time
	// Status selects one status; empty means any.
	Status VisitStatus
	// Reference selects the visits with this Visit.Reference; empty means
	// any.
	Reference string
	// AppointmentID selects the visits of one appointment; empty means
	// any.
	AppointmentID string
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// Validate checks the filter.
func (fl *VisitFilter) Validate() error {
	var f fieldErrs
	if fl.Status != "" && !fl.Status.Valid() {
		f.addf("Status", "unknown status %q", fl.Status)
	}
	if msg := ReferenceProblem(fl.Reference); msg != "" {
		f.add("Reference", msg)
	}
	f.optID("AppointmentID", fl.AppointmentID)
	if fl.Limit < 0 {
		f.add("Limit", "must not be negative")
	}
	return f.err()
}

// Match reports whether v passes the filter (ignoring Limit).
func (fl *VisitFilter) Match(v *Visit) bool {
	return (fl.From.IsZero() || !v.CreatedAt.Before(fl.From)) &&
		(fl.To.IsZero() || v.CreatedAt.Before(fl.To)) &&
		(fl.Status == "" || v.Status == fl.Status) &&
		(fl.Reference == "" || v.Reference == fl.Reference) &&
		(fl.AppointmentID == "" || v.AppointmentID == fl.AppointmentID)
}

// MaxReference is the longest Visit.Reference, in bytes.
const MaxReference = 200

// ReferenceProblem says what is wrong with a Visit.Reference, or "" when
// nothing is: longer than MaxReference bytes, not UTF-8, or with control
// characters.
func ReferenceProblem(ref string) string {
	switch {
	case len(ref) > MaxReference:
		return fmt.Sprintf("is longer than %d bytes", MaxReference)
	case !utf8.ValidString(ref):
		return "is not valid UTF-8"
	case strings.ContainsFunc(ref, unicode.IsControl):
		return "contains control characters"
	}
	return ""
}

// The orders below are those the Store's lists promise, for drivers that
// sort Go values; SQL drivers say the same in ORDER BY.

// NewestVisitFirst orders visits as ListVisits returns them: CreatedAt
// descending, then ID descending.
func NewestVisitFirst(a, b *Visit) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
}

// EarliestReminderFirst orders visits as ListDueReminders returns them:
// NextReminderAt, then OrgID, then ID.
func EarliestReminderFirst(a, b *Visit) int {
	return cmp.Or(a.NextReminderAt.Compare(b.NextReminderAt), cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.ID, b.ID))
}

// ReminderDue reports whether ListDueReminders returns v at now: it is
// unhandled and its NextReminderAt is set and not after now.
func (v *Visit) ReminderDue(now time.Time) bool {
	return v.Status.Unhandled() && !v.NextReminderAt.IsZero() && !v.NextReminderAt.After(now)
}
