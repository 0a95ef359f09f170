package reception

import (
	"bytes"
	"cmp"
	"encoding/json"
	"time"
)

// TargetKind says whether a message goes to a talk room or to one user.
type TargetKind string

// The kinds of message targets.
const (
	TargetRoom TargetKind = "room"
	TargetUser TargetKind = "user"
	// TargetApp entries are not LINE WORKS messages but events for the
	// host application (notify's event handler): Content is the event.
	// They are queued, leased and retried like messages, so an event is
	// delivered at least once after the change that caused it committed.
	TargetApp TargetKind = "app"
	// TargetEmail entries are e-mails (an appointment's code to a
	// visitor): Target.ID is the address and Content is
	// {"subject":…,"text":…,"html"?:…,"qrCode"?:…}; notify sends them
	// through its Mailer.
	TargetEmail TargetKind = "email"
)

// Target is where an outbox message goes.
type Target struct {
	// Kind is TargetRoom, TargetUser, TargetApp or TargetEmail.
	Kind TargetKind
	// ID is the channel ID for a room, the user ID (or login email) for a
	// user, the e-mail address for an e-mail.
	ID string
}

// OutboxState is where an outbox entry stands.
type OutboxState string

// The states of an outbox entry.
const (
	// OutboxPending entries wait to be (re)sent.
	OutboxPending OutboxState = "pending"
	// OutboxSent entries were delivered.
	OutboxSent OutboxState = "sent"
	// OutboxDead entries were given up on; LastError says why.
	OutboxDead OutboxState = "dead"
	// OutboxUncertain entries failed ambiguously (LINE WORKS may have
	// posted the message before failing) and are not sent again, the
	// at-most-once choice; LastError says why and DeadAt says when.
	OutboxUncertain OutboxState = "uncertain"
)

// Valid reports whether s is one of the defined states.
func (s OutboxState) Valid() bool {
	return s == OutboxPending || s == OutboxSent || s == OutboxDead || s == OutboxUncertain
}

// OutboxEntry is one message waiting to go to LINE WORKS. Entries are
// written in the same transaction as the change that causes them (a
// check-in, a reminder), so a crash can delay a message but never lose it;
// a dispatcher leases due entries, sends them, and completes, retries or
// buries them.
type OutboxEntry struct {
	// ID identifies the entry across all organizations.
	ID string
	// OrgID is the organization whose bot sends the message.
	OrgID string
	// Target is where the message goes.
	Target Target
	// Content is the message content JSON (the "content" member of the send
	// request). Stores return it byte for byte as given, so it must not be
	// kept in a column type that reformats it (such as PostgreSQL jsonb).
	Content json.RawMessage
	// DedupeKey is unique within the organization; enqueueing a second entry
	// with the same key is a conflict. Derive it from what causes the message
	// (e.g. "visit/<id>/notify/room/<channel>") so that repeating the cause
	// cannot send twice. Required.
	DedupeKey string
	// VisitID is the visit the message is about, if any.
	VisitID string
	// Attempts counts leases: a store increments it each time the entry is
	// leased (and takes it back on ReleaseOutbox).
	Attempts int
	// NextAttemptAt is when the entry is due. Zero at enqueue means
	// CreatedAt; stores store and return CreatedAt then.
	NextAttemptAt time.Time
	// LeaseOwner is the dispatcher holding the entry; empty when none.
	LeaseOwner string
	// LeaseExpiresAt is when the lease lapses and another dispatcher may
	// take the entry.
	LeaseExpiresAt time.Time
	// LastError is the error of the last failed attempt.
	LastError string
	// State is where the entry stands.
	State OutboxState
	// CreatedAt is when the entry was enqueued. Required.
	CreatedAt time.Time
	// SentAt is when it was delivered; zero until then.
	SentAt time.Time
	// DeadAt is when the entry was given up on (DeadOutbox) or marked
	// uncertain (UncertainOutbox); zero unless State is OutboxDead or
	// OutboxUncertain.
	DeadAt time.Time
}

// NewOutboxEntry returns a pending entry with a new ID, due at now.
func NewOutboxEntry(orgID string, to Target, content json.RawMessage, dedupeKey string, now time.Time) *OutboxEntry {
	return &OutboxEntry{
		ID: NewID(), OrgID: orgID, Target: to, Content: content, DedupeKey: dedupeKey,
		State: OutboxPending, CreatedAt: now, NextAttemptAt: now,
	}
}

// Validate checks the entry; the error names each wrong field.
func (e *OutboxEntry) Validate() error {
	var f fieldErrs
	f.id("ID", e.ID)
	f.id("OrgID", e.OrgID)
	switch e.Target.Kind {
	case TargetRoom, TargetUser, TargetApp:
	case TargetEmail:
		if e.Target.ID != "" && !validEmail(e.Target.ID) {
			f.add("Target.ID", "is not an e-mail address (name@example.com)")
		}
	default:
		f.addf("Target.Kind", "must be room, user, app or email, not %q", e.Target.Kind)
	}
	f.token("Target.ID", e.Target.ID, true)
	switch {
	case len(bytes.TrimSpace(e.Content)) == 0:
		f.add("Content", "is required")
	case !json.Valid(e.Content):
		f.add("Content", "is not valid JSON")
	case bytes.TrimSpace(e.Content)[0] != '{':
		f.add("Content", "must be a JSON object")
	}
	switch {
	case e.DedupeKey == "":
		f.add("DedupeKey", "is required")
	case len(e.DedupeKey) > 200:
		f.add("DedupeKey", "is longer than 200 bytes")
	}
	f.optID("VisitID", e.VisitID)
	if e.Attempts < 0 {
		f.add("Attempts", "must not be negative")
	}
	if !e.State.Valid() {
		f.addf("State", "must be pending, sent, dead or uncertain, not %q", e.State)
	}
	if e.CreatedAt.IsZero() {
		f.add("CreatedAt", "is required")
	}
	return f.err()
}

// ValidateNew checks an entry about to be enqueued: valid, pending, never
// attempted, not leased, not sent.
func (e *OutboxEntry) ValidateNew() error {
	var f fieldErrs
	f.errs = append(f.errs, e.Validate())
	if e.State != OutboxPending {
		f.add("State", "must be pending when enqueued")
	}
	if e.Attempts != 0 {
		f.add("Attempts", "must be 0 when enqueued")
	}
	if e.LeaseOwner != "" || !e.LeaseExpiresAt.IsZero() {
		f.add("LeaseOwner", "must be empty when enqueued")
	}
	if !e.SentAt.IsZero() {
		f.add("SentAt", "must be zero when enqueued")
	}
	if !e.DeadAt.IsZero() {
		f.add("DeadAt", "must be zero when enqueued")
	}
	return f.err()
}

// validatePreLeased checks an entry enqueued by CheckIn already leased to
// its caller: pending, one attempt (the lease counts as one, as LeaseOutbox
// would count it), a lease owner and expiry, not sent.
func (e *OutboxEntry) validatePreLeased() error {
	var f fieldErrs
	f.errs = append(f.errs, e.Validate())
	if e.State != OutboxPending {
		f.add("State", "must be pending when enqueued")
	}
	if e.Attempts != 1 {
		f.add("Attempts", "must be 1 when enqueued leased")
	}
	if e.LeaseExpiresAt.IsZero() {
		f.add("LeaseExpiresAt", "is required with LeaseOwner")
	}
	if !e.SentAt.IsZero() {
		f.add("SentAt", "must be zero when enqueued")
	}
	return f.err()
}

// Clone returns a deep copy of e.
func (e *OutboxEntry) Clone() *OutboxEntry {
	if e == nil {
		return nil
	}
	c := *e
	c.Content = bytes.Clone(e.Content)
	return &c
}

// OutboxFilter selects entries for ListOutbox. The zero value selects all.
type OutboxFilter struct {
	// State selects one state; empty means any.
	State OutboxState
	// VisitID selects the entries of one visit; empty means any.
	VisitID string
	// Limit caps the number returned; 0 means no limit.
	Limit int
}

// Validate checks the filter.
func (fl *OutboxFilter) Validate() error {
	var f fieldErrs
	if fl.State != "" && !fl.State.Valid() {
		f.addf("State", "unknown state %q", fl.State)
	}
	if fl.Limit < 0 {
		f.add("Limit", "must not be negative")
	}
	return f.err()
}

// Match reports whether e passes the filter (ignoring Limit).
func (fl *OutboxFilter) Match(e *OutboxEntry) bool {
	return (fl.State == "" || e.State == fl.State) && (fl.VisitID == "" || e.VisitID == fl.VisitID)
}

// ValidateLease checks the arguments of LeaseOutbox and LeaseInbox.
func ValidateLease(owner string, n int, leaseFor time.Duration, now time.Time) error {
	var f fieldErrs
	f.token("Owner", owner, true)
	if n <= 0 {
		f.add("N", "must be positive")
	}
	if leaseFor <= 0 {
		f.add("LeaseFor", "must be positive")
	}
	if now.IsZero() {
		f.add("Now", "is required")
	}
	return f.err()
}

// Leasable reports whether a pending item with the given due time and lease
// may be leased at now: it is due and its lease is absent or lapsed.
func Leasable(nextAttempt time.Time, leaseOwner string, leaseExpires, now time.Time) bool {
	return !nextAttempt.After(now) && (leaseOwner == "" || !leaseExpires.After(now))
}

// OldestEntryFirst orders entries as ListOutbox returns them: CreatedAt,
// then ID.
func OldestEntryFirst(a, b *OutboxEntry) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
