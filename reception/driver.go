package reception

import (
	"context"
	"time"
)

// Driver is what a storage backend implements; [NewStore] turns it into the
// [Store] the rest of uketsuke uses. A driver stores and finds values and
// makes the few writes that must be atomic atomic; nothing else. Every
// domain rule — validation, sealing and redacting secrets, the visit state
// machine and the diff it leaves, lease ownership checks, default times —
// is applied once, by NewStore's Store, before a driver is called or after
// it answered, so that every driver behaves alike (go-cloud's portable type
// over a driver, in one package).
//
// A new driver is proven by storetest.Run on NewStore(name, driver, box);
// driver_example_test.go in this package holds a complete minimal one, in
// memory, that passes it.
//
// What reception guarantees a driver:
//   - Values passed in are valid (checked with their Validate methods), are
//     copies the driver may keep, and carry their times in UTC truncated to
//     the microsecond; optional times are zero when unset.
//   - The context is live when a method is called (reception checks it).
//   - IDs and owners are the caller's, unchecked against the data: looking
//     them up is the driver's job.
//
// What every driver method must do:
//   - Return values the caller owns: no references to the driver's state.
//   - Return an error wrapping [ErrNotFound] for a missing entity, an
//     organization that does not exist (also when writing a child of it) or
//     an entity of another organization; [ErrConflict] for a used ID or key
//     named on the method. Other failures are returned wrapped with the
//     driver's name ("sqlitestore: …"), never as a driver's own error type
//     for these kinds, and never quoting secrets.
//   - Honour the context during I/O, returning an error that wraps its error.
//   - Be safe for concurrent use, also by several drivers on one database
//     where the backend is shared.
//
// Empty slices and maps may come back nil; times may come back in any
// location but must be Equal to those stored.
type Driver interface {
	DirectoryDriver
	VisitDriver
	AppointmentDriver
	// Outbox returns the outbox queue. It is called once, by NewStore.
	Outbox() OutboxDriver
	// Inbox returns the inbox queue. It is called once, by NewStore.
	Inbox() InboxDriver
	// Purge is one batch of the retention purge (Store.Purge) in one
	// transaction, across all organizations: it erases the personal data
	// (Visit.ErasePersonalData) of up to limit visits created before before
	// that still hold some (Visit.HasPersonalData), the personal data
	// (Appointment.ErasePersonalData) of up to limit appointments whose
	// ValidUntil is before before that still hold some
	// (Appointment.HasPersonalData), and deletes up to limit
	// outbox entries and up to limit inbox entries that are done or dead
	// and were created (outbox) or received (inbox) before before
	// (QueueEntry.PurgeableBefore) — with them their dedupe keys. Pending
	// entries are left: they are still work. It returns how many of each
	// it erased or deleted. Where several processes share the database,
	// one batch runs at a time: a driver that finds another process's
	// batch running returns PurgeResult{Busy: true} and changes nothing
	// (a PostgreSQL advisory lock, say).
	Purge(ctx context.Context, before time.Time, limit int) (PurgeResult, error)
	// Close releases the driver's resources. Calls after Close fail.
	Close() error
}

// SealedOrganization is an organization as a driver keeps it: the
// Integration's secret fields blank (and Redacted, Stored unset), their
// [SecretBox] ciphertexts in Secrets. A driver never sees a secret in clear.
type SealedOrganization struct {
	// Organization has empty ClientSecret, PrivateKey and BotSecret.
	Organization *Organization
	// Secrets are the sealed secrets; a nil field is a secret not set.
	Secrets SealedSecrets
	// KeepSecrets is set on PutOrganization only: each nil field of Secrets
	// then keeps the stored ciphertext instead of clearing it (an admin
	// saved a redacted organization). The merge must be atomic with the
	// write, e.g. one upsert with coalesce.
	KeepSecrets bool
}

// DirectoryDriver stores organizations, and their buttons, staff and rooms
// in tables of one shape. The methods mean what the Store methods of the
// same names mean, with these differences: organizations travel sealed;
// GetOrganizationByBotID is never asked for bot 0; ListOrganizations
// returns them ordered by ID.
type DirectoryDriver interface {
	// PutOrganization creates or replaces o.Organization.ID. A BotID other
	// than 0 already used by another organization is ErrConflict.
	PutOrganization(ctx context.Context, o *SealedOrganization) error
	GetOrganization(ctx context.Context, id string) (*SealedOrganization, error)
	GetOrganizationByBotID(ctx context.Context, botID int64) (*SealedOrganization, error)
	ListOrganizations(ctx context.Context) ([]*SealedOrganization, error)
	// DeleteOrganization deletes the organization with its buttons, staff,
	// rooms, visits (and events), appointments and outbox entries, not its
	// inbox entries.
	DeleteOrganization(ctx context.Context, id string) error

	// Buttons, Staff and Rooms return the tables of the organizations'
	// buttons (keyed by Button.ID), staff (Staff.ID) and rooms
	// (Room.ChannelID). Each is called once, by NewStore.
	Buttons() TableDriver[*Button]
	Staff() TableDriver[*Staff]
	Rooms() RoomDriver
}

// KeyedDriver stores values of one kind that belong to an organization,
// each under a key unique within it: orgID and id.
type KeyedDriver[T any] interface {
	// Put creates or replaces the value (orgID, id). An organization that
	// does not exist is ErrNotFound.
	Put(ctx context.Context, orgID, id string, v T) error
	// Get returns the value (orgID, id).
	Get(ctx context.Context, orgID, id string) (T, error)
	// List returns the organization's values in any order; reception
	// sorts them.
	List(ctx context.Context, orgID string) ([]T, error)
}

// TableDriver is a KeyedDriver whose values are also deleted one by one:
// buttons and staff.
type TableDriver[T any] interface {
	KeyedDriver[T]
	// Delete deletes the value (orgID, id); a missing one is ErrNotFound.
	Delete(ctx context.Context, orgID, id string) error
}

// RoomDriver stores rooms, which go only with their organization.
type RoomDriver interface {
	KeyedDriver[*Room]
	// MarkLeft sets LeftAt of the existing room (orgID, channelID) to at,
	// changing nothing else, in one atomic write: a join recorded
	// meanwhile must not be undone.
	MarkLeft(ctx context.Context, orgID, channelID string, at time.Time) error
}

// VisitDriver stores visits with their timelines. A visit's Events are
// kept in the order recorded and returned ordered by At, then by the order
// recorded (e.g. a sequence number), which is where the state machine puts
// a new event.
type VisitDriver interface {
	// CreateVisit stores a new visit, with its Events (the checked_in
	// event), and entries, new outbox entries as OutboxDriver.Enqueue takes
	// them, in one transaction: all or nothing. A used visit ID (within the
	// organization), entry ID or dedupe key is ErrConflict; a missing
	// organization ErrNotFound. Entries may arrive leased (LeaseOwner,
	// LeaseExpiresAt, Attempts 1): keep those fields as given.
	CreateVisit(ctx context.Context, v *Visit, entries []*OutboxEntry) error
	// GetVisit returns a visit with its Events.
	GetVisit(ctx context.Context, orgID, id string) (*Visit, error)
	// ListVisits returns an organization's visits passing f, which is
	// valid (see VisitFilter.Match and Limit), ordered as by
	// NewestVisitFirst: CreatedAt descending, then ID descending.
	ListVisits(ctx context.Context, orgID string, f VisitFilter) ([]*Visit, error)
	// ListDueReminders returns up to limit (> 0) visits of any organization
	// that are due at now (Visit.ReminderDue: waiting or escalated, with
	// NextReminderAt set and not after now), ordered as by
	// EarliestReminderFirst: NextReminderAt, then OrgID, then ID.
	ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*Visit, error)
	// UpdateVisit is the one way a stored visit changes: it loads the visit
	// with its Events so that no other writer of it (in any process) can
	// run until it returns — a row lock, a write transaction, a mutex —
	// and calls change once with a copy. If change returns an error,
	// UpdateVisit stores nothing and returns that error unwrapped; if it
	// returns nil, nothing is written; otherwise the VisitChange is written
	// in the same transaction. A missing visit is ErrNotFound and change is
	// not called.
	UpdateVisit(ctx context.Context, orgID, id string, change func(v *Visit) (*VisitChange, error)) error
}

// VisitChange is what VisitDriver.UpdateVisit writes back.
type VisitChange struct {
	// Visit is the visit after the change. Store its Status,
	// HandlerUserID, HandledAt, Reminders, NextReminderAt and personal
	// data (VisitorName, Company, Note, which only ever become empty); the
	// other fields never change. Visit.Events already holds Events, in
	// place.
	Visit *Visit
	// Events are new events to record after the stored ones (so, for equal
	// At, after them), in order.
	Events []VisitEvent
	// Entries are new outbox entries to enqueue, as OutboxDriver.Enqueue
	// would, in the same transaction.
	Entries []*OutboxEntry
	// DropEntries deletes every outbox entry of the visit (VisitID),
	// whatever its state, in the same transaction and before Entries are
	// enqueued: an erased visit's messages carry the visitor's name.
	DropEntries bool
}

// AppointmentDriver stores appointments. A reception code is unique among
// an organization's live appointments (Appointment.Live): the driver makes
// that check atomic with the insert, so that of two creates with one code,
// in any processes, exactly one wins — PostgreSQL with an advisory
// transaction lock on the organization, SQLite inside its one write
// transaction, memory under its mutex. reception picks, orders and checks
// everything else.
type AppointmentDriver interface {
	// CreateAppointment stores a new appointment and entries, new outbox
	// entries as OutboxDriver.Enqueue takes them, in one transaction: all
	// or nothing. A used appointment ID (within the organization), entry
	// ID or dedupe key is ErrConflict; another appointment of the
	// organization with a.Code that is live at a.CreatedAt
	// (Appointment.Live: not cancelled, ValidUntil after it) is
	// ErrCodeInUse, unless a.ID is used (the same appointment made again):
	// then ErrConflict; a missing organization ErrNotFound.
	CreateAppointment(ctx context.Context, a *Appointment, entries []*OutboxEntry) error
	// GetAppointment returns one appointment.
	GetAppointment(ctx context.Context, orgID, id string) (*Appointment, error)
	// ListAppointmentsByCode returns every appointment of the organization
	// that has code, live or not, in any order: reception picks the one
	// that answers. None is an empty result, not an error.
	ListAppointmentsByCode(ctx context.Context, orgID, code string) ([]*Appointment, error)
	// ListAppointments returns an organization's appointments passing f,
	// which is valid (see AppointmentFilter.Match and Limit), ordered as by
	// EarliestAppointmentFirst: StartsAt, then ID.
	ListAppointments(ctx context.Context, orgID string, f AppointmentFilter) ([]*Appointment, error)
	// UpdateAppointment is the one way a stored appointment changes, like
	// VisitDriver.UpdateVisit: it loads the appointment so that no other
	// writer of it (in any process) can run until it returns, and calls
	// change once with a copy. If change returns an error, nothing is
	// stored and that error comes back unwrapped; if it returns nil,
	// nothing is written; otherwise the AppointmentChange is written in
	// the same transaction. A missing appointment is ErrNotFound and
	// change is not called.
	UpdateAppointment(ctx context.Context, orgID, id string, change func(a *Appointment) (*AppointmentChange, error)) error
	// ListDueAppointments returns up to limit (> 0) appointments of any
	// organization whose reminder is due at now (Appointment.ReminderDue),
	// ordered as by EarliestAppointmentReminderFirst: ReminderDueAt, then
	// OrgID, then ID.
	ListDueAppointments(ctx context.Context, now time.Time, limit int) ([]*Appointment, error)
}

// AppointmentChange is what AppointmentDriver.UpdateAppointment writes
// back.
type AppointmentChange struct {
	// Appointment is the appointment after the change, valid, with the
	// same ID, OrgID, Code, CreatedBy and CreatedAt: store every other
	// field.
	Appointment *Appointment
	// Entries are new outbox entries to enqueue, as OutboxDriver.Enqueue
	// would, in the same transaction.
	Entries []*OutboxEntry
}

// QueueDriver is one durable work queue: the outbox (E = *OutboxEntry) and
// the inbox (E = *InboxEntry) are the same queue with different entries. An
// entry's queue fields are State, NextAttemptAt, Attempts, LeaseOwner,
// LeaseExpiresAt and LastError, and its states pending, done (the outbox's
// OutboxSent "sent", the inbox's InboxDone "done") and dead. What each
// method changes in an entry is also written as Go, in QueueEntry.
type QueueDriver[E any] interface {
	// Get returns one entry by ID (IDs are unique across organizations).
	Get(ctx context.Context, id string) (E, error)
	// Lease leases to owner up to n pending entries that are due
	// (NextAttemptAt not after now) and not leased, or whose lease lapsed
	// (LeaseExpiresAt not after now) — QueueEntry.LeasableAt — choosing
	// them in QueueEntry.LeaseOrder: the oldest NextAttemptAt first, then
	// the oldest CreatedAt (outbox) or ReceivedAt (inbox), then the
	// smallest ID. Each leased entry's Attempts grows by one, its
	// LeaseOwner becomes owner and its LeaseExpiresAt until. No entry is
	// leased to two owners at once, even by drivers in several processes.
	// The result, the entries after the change, may be in any order.
	Lease(ctx context.Context, owner string, n int, until, now time.Time) ([]E, error)
	// Settle ends owner's lease of the pending entry id as s says, and
	// reports whether it did: false (and no error) when no pending entry id
	// is leased by owner, owner being non-empty. A lapsed lease nobody took
	// over is still owner's. reception explains a false with Get.
	Settle(ctx context.Context, id, owner string, s Settlement) (bool, error)
	// Release ends every lease of owner on pending entries, giving each
	// entry's attempt back (Attempts minus one, not below zero), and
	// returns how many it released.
	Release(ctx context.Context, owner string) (int, error)
}

// Outcome is how Settle ends a lease.
type Outcome uint8

// The outcomes of a lease. Each also empties LeaseOwner and LeaseExpiresAt.
const (
	// Done makes the entry done (OutboxSent, InboxDone) at Settlement.At:
	// the outbox's SentAt, the inbox's ProcessedAt. LastError is kept.
	Done Outcome = iota + 1
	// Retry keeps the entry pending with NextAttemptAt = At and LastError
	// = Settlement.LastError.
	Retry
	// Postpone is Retry for a lease that attempted nothing: it also gives
	// the attempt back (Attempts minus one, not below zero).
	Postpone
	// Dead makes the entry dead at At (the outbox's DeadAt, the inbox's
	// ProcessedAt) with LastError = Settlement.LastError.
	Dead
	// Uncertain, on the outbox only, is Dead with the state
	// OutboxUncertain ("uncertain"): the send failed ambiguously and is not
	// repeated. DeadAt is At.
	Uncertain
)

// Settlement is what QueueDriver.Settle writes.
type Settlement struct {
	// Outcome is how the lease ends.
	Outcome Outcome
	// At is when the entry was done or given up on (Done, Dead), or when
	// it is due again (Retry, Postpone). Never zero.
	At time.Time
	// LastError is the entry's new LastError, except with Done.
	LastError string
	// Notified, only with Done on the outbox, is an event to append to the
	// timeline of the entry's visit (VisitID) in the same transaction, if
	// the entry has a VisitID and that visit exists; otherwise it is
	// skipped without error. reception has checked the event is one
	// Visit.Apply accepts on any visit, and Apply of a notified event
	// changes nothing but the timeline.
	Notified *VisitEvent
	// Then, only on the outbox and only when the lease is settled (Settle
	// returns true), are new entries to enqueue in the same transaction,
	// as OutboxDriver.Enqueue takes them (valid, pending, due). An entry
	// whose ID or dedupe key is used is skipped without error: it was
	// enqueued by an earlier settlement of the same cause. notify uses
	// them for the events "delivered", "given up" and "uncertain", so an
	// event is enqueued exactly when the entry's outcome is recorded.
	Then []*OutboxEntry
}

// OutboxDriver is the outbox queue.
type OutboxDriver interface {
	QueueDriver[*OutboxEntry]
	// Enqueue stores a new pending entry (NextAttemptAt set). A used ID,
	// or a DedupeKey used in the organization, is ErrConflict; a missing
	// organization ErrNotFound.
	Enqueue(ctx context.Context, e *OutboxEntry) error
	// List returns an organization's entries passing f (valid; see
	// OutboxFilter.Match and Limit) ordered as by OldestEntryFirst:
	// CreatedAt, then ID.
	List(ctx context.Context, orgID string, f OutboxFilter) ([]*OutboxEntry, error)
}

// InboxDriver is the inbox queue.
type InboxDriver interface {
	QueueDriver[*InboxEntry]
	// Insert stores a new pending entry (NextAttemptAt set) unless one
	// with the same BotID and Hash exists: then it returns false and no
	// error, whatever the ID. Otherwise a used ID is ErrConflict.
	Insert(ctx context.Context, e *InboxEntry) (bool, error)
}
