package reception

import (
	"context"
	"time"
)

// Store is the persistence contract of uketsuke, as its callers see it.
// It has one implementation, [NewStore], over a [Driver] that only stores:
// memstore, sqlitestore and pgstore are drivers wrapped by NewStore, and
// all pass storetest.Run; see the package documentation for the rules
// every method follows (errors, tenant isolation, copies, times, secrets).
// Tests may wrap a Store to inject faults.
//
// A Store is safe for concurrent use, including by several Store values (in
// several processes) on one database where the implementation supports it.
type Store interface {
	// PutOrganization creates or replaces an organization, sealing its
	// secrets. With o.Integration.Redacted set, empty secret fields keep
	// their stored values (see Integration.Redacted). A bot ID already used
	// by another organization is ErrConflict.
	PutOrganization(ctx context.Context, o *Organization) error
	// GetOrganization returns an organization with its secrets redacted.
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	// GetOrganizationWithSecrets returns an organization with its secrets
	// decrypted. Use it only where they are needed (token requests,
	// signature checks), so that clear secrets don't spread through admin
	// pages and logs.
	GetOrganizationWithSecrets(ctx context.Context, id string) (*Organization, error)
	// GetOrganizationByBotID returns, secrets redacted, the organization
	// whose bot is botID; callbacks are routed this way.
	GetOrganizationByBotID(ctx context.Context, botID int64) (*Organization, error)
	// ListOrganizations returns all organizations ordered by ID, secrets
	// redacted.
	ListOrganizations(ctx context.Context) ([]*Organization, error)
	// DeleteOrganization deletes an organization and everything of it:
	// buttons, staff, rooms, visits, appointments and outbox entries. Inbox entries are
	// kept; they are raw callbacks, keyed by bot, and age out separately.
	DeleteOrganization(ctx context.Context, id string) error

	// PutButton creates or replaces a button of an existing organization.
	PutButton(ctx context.Context, b *Button) error
	// GetButton returns one button.
	GetButton(ctx context.Context, orgID, id string) (*Button, error)
	// ListButtons returns an organization's buttons ordered by Order, then
	// ID.
	ListButtons(ctx context.Context, orgID string) ([]*Button, error)
	// DeleteButton deletes a button; its visits keep their ButtonID.
	DeleteButton(ctx context.Context, orgID, id string) error

	// PutStaff creates or replaces a staff member of an existing
	// organization.
	PutStaff(ctx context.Context, s *Staff) error
	// GetStaff returns one staff member.
	GetStaff(ctx context.Context, orgID, id string) (*Staff, error)
	// ListStaff returns an organization's staff ordered by ID.
	ListStaff(ctx context.Context, orgID string) ([]*Staff, error)
	// DeleteStaff deletes a staff member.
	DeleteStaff(ctx context.Context, orgID, id string) error

	// PutRoom creates or replaces the room (r.OrgID, r.ChannelID), as a join
	// callback reports it; a room joined again after leaving is put with a
	// nil LeftAt.
	PutRoom(ctx context.Context, r *Room) error
	// GetRoom returns one room.
	GetRoom(ctx context.Context, orgID, channelID string) (*Room, error)
	// ListRooms returns an organization's rooms, including those left,
	// ordered by JoinedAt, then ChannelID.
	ListRooms(ctx context.Context, orgID string) ([]*Room, error)
	// MarkRoomLeft records that the bot left a room at at.
	MarkRoomLeft(ctx context.Context, orgID, channelID string, at time.Time) error

	// CheckIn stores a new visit and the outbox entries that announce it in
	// one transaction: both or neither. The visit gets one checked_in event
	// at its CreatedAt. Arguments are checked with ValidateCheckIn; an
	// existing visit ID or a dedupe key already used in the organization
	// (or twice among entries) is ErrConflict, and a missing organization
	// ErrNotFound — in every case nothing is stored.
	//
	// An entry may arrive already leased (LeaseOwner and LeaseExpiresAt set,
	// Attempts 1): the caller sends it at once without a separate lease
	// write, and if it dies the lease lapses and any dispatcher takes the
	// entry as usual. Stores keep the lease fields as given.
	CheckIn(ctx context.Context, v *Visit, entries []*OutboxEntry) error
	// GetVisit returns a visit with its timeline.
	GetVisit(ctx context.Context, orgID, id string) (*Visit, error)
	// ListVisits returns an organization's visits passing the filter,
	// newest first (CreatedAt descending, then ID descending), with their
	// timelines.
	ListVisits(ctx context.Context, orgID string, f VisitFilter) ([]*Visit, error)
	// ClaimVisit makes userID the handler of a visit, atomically across
	// every Store on the database, following Visit.Claim: the first claim
	// of an unhandled visit wins; the handler claiming again succeeds and
	// changes nothing; anyone else, or any claim of a closed visit, gets a
	// *ClaimConflictError naming the handler. It returns the visit as it
	// stands after the call.
	ClaimVisit(ctx context.Context, orgID, visitID, userID string, at time.Time) (*Visit, error)
	// AppendVisitEvent records a notified, escalated or closed event and
	// the status change it implies, following Visit.Apply, atomically. It
	// is the only way to change a visit's status other than ClaimVisit, so
	// the timeline always explains the status. It returns the visit after
	// the change.
	AppendVisitEvent(ctx context.Context, orgID, visitID string, e VisitEvent) (*Visit, error)
	// ListDueReminders returns, across all organizations, up to limit
	// unhandled (waiting or escalated) visits whose NextReminderAt is set
	// and not after now, earliest first (then OrgID, ID), with timelines.
	ListDueReminders(ctx context.Context, now time.Time, limit int) ([]*Visit, error)
	// RecordReminder records one reminder of a visit and enqueues its
	// entries in one transaction, following Visit.Remind: only if the visit
	// is still unhandled and has had exactly r.Seen reminders; otherwise
	// ErrConflict and nothing is stored. So when several replicas find the
	// same visit due, exactly one sends the reminder. It returns the visit
	// after the change.
	RecordReminder(ctx context.Context, orgID, visitID string, r *Reminder) (*Visit, error)

	// CreateAppointment validates a and stores it with entries (outbox
	// entries, checked with ValidateNew, e.g. the hosts' 1:1 messages) in
	// one transaction: all or nothing. When a.Code is empty it draws one
	// (NewReceptionCode), drawing again while the code is held, and sets
	// a.Code to it; a caller whose entries carry the code draws it itself
	// and draws again on ErrCodeInUse. A used ID or dedupe key is
	// ErrConflict; a.Code held by another live appointment of the
	// organization (not cancelled, ValidUntil after a.CreatedAt) is
	// ErrCodeInUse, which wraps ErrConflict; a missing organization
	// ErrNotFound.
	CreateAppointment(ctx context.Context, a *Appointment, entries ...*OutboxEntry) error
	// GetAppointment returns one appointment.
	GetAppointment(ctx context.Context, orgID, id string) (*Appointment, error)
	// FindAppointmentByCode returns the appointment of orgID holding code
	// at now: the live one if any, else the one with the latest
	// ValidUntil, so that the caller can say why the code does not work
	// with CodeUsableAt (expired, cancelled, used). ErrNotFound when no
	// appointment of the organization ever had the code.
	FindAppointmentByCode(ctx context.Context, orgID, code string, now time.Time) (*Appointment, error)
	// ListAppointments returns an organization's appointments passing the
	// filter, ordered by StartsAt, then ID.
	ListAppointments(ctx context.Context, orgID string, f AppointmentFilter) ([]*Appointment, error)
	// UpdateAppointment changes an appointment atomically across every
	// Store on the database: change gets a copy under the driver's lock
	// and edits it (with Arrive, Cancel, or field by field), setting
	// UpdatedAt itself; the result is validated, and ID, OrgID, Code,
	// CreatedAt and CreatedBy may not change (ErrInvalid). A cancelled or
	// expired appointment cannot be made live again (ErrConflict): its
	// code may belong to another appointment by now. That is judged at the
	// changed UpdatedAt (the clock's time when it is zero). The entries change
	// returns (checked with ValidateNew) are enqueued in the same
	// transaction. A change returning an error stores nothing and the
	// error comes back unwrapped (a *CodeError, say). It returns the
	// appointment after the change.
	UpdateAppointment(ctx context.Context, orgID, id string, change func(a *Appointment) ([]*OutboxEntry, error)) (*Appointment, error)
	// ListDueAppointmentReminders returns, across all organizations, up to
	// limit scheduled appointments with HostReminderAt or
	// VisitorReminderAt set and not after now, earliest due first (then
	// OrgID, ID). The caller sends the reminder and clears the field with
	// UpdateAppointment, enqueueing the message in the same transaction.
	ListDueAppointmentReminders(ctx context.Context, now time.Time, limit int) ([]*Appointment, error)

	// EnqueueOutbox stores a new entry (checked with ValidateNew) on its
	// own, e.g. the reply to a staff member's tap. A used ID or dedupe key
	// is ErrConflict; a missing organization ErrNotFound.
	EnqueueOutbox(ctx context.Context, e *OutboxEntry) error
	// LeaseOutbox leases to owner, across all organizations, up to n
	// pending entries that are due at now and not leased (or whose lease
	// lapsed), oldest NextAttemptAt first (then CreatedAt, ID). Each leased
	// entry's Attempts is incremented and its lease runs until
	// now+leaseFor. No entry is leased to two owners at once, even by
	// different Stores on one database.
	LeaseOutbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*OutboxEntry, error)
	// CompleteOutbox marks an entry leased by owner as sent at sentAt and
	// ends the lease. A lapsed lease that nobody else took still belongs to
	// owner: the message went out, and recording that beats sending it
	// again. An entry leased by another owner, or not pending, is
	// ErrConflict.
	//
	// With notified not nil, of kind EventNotified, and an entry that has a
	// VisitID, the same transaction appends *notified to the timeline of
	// the entry's visit, following Visit.Apply: a notified event changes no
	// status and is welcome even on a closed visit. So the timeline lists
	// exactly the messages sent, even across a crash. Recording the
	// message as sent comes first: if the visit no longer exists, or Apply
	// refuses the event (a zero At, say), the entry is completed all the
	// same and the event skipped, without an error. An entry without
	// VisitID just completes. An event of another kind is ErrInvalid and
	// nothing is stored; a complete that fails (ErrConflict, ErrNotFound)
	// appends nothing.
	//
	// then are new entries (checked with ValidateNew) enqueued in the same
	// transaction when the completion succeeds; one whose ID or dedupe key
	// is used is skipped, so completing the same cause twice enqueues them
	// once. notify queues its host-application events this way.
	CompleteOutbox(ctx context.Context, id, owner string, sentAt time.Time, notified *VisitEvent, then ...*OutboxEntry) error
	// RetryOutbox ends owner's lease of an entry, keeping it pending until
	// nextAttempt, and records lastErr. Ownership as CompleteOutbox.
	RetryOutbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error
	// PostponeOutbox ends owner's lease of an entry like RetryOutbox, for a
	// lease that made no attempt at delivery (the organization's LINE WORKS
	// integration is incomplete, say): the entry waits until until and
	// records reason, and its Attempts is decremented as by ReleaseOutbox,
	// so waiting never uses up the attempts a delivery gets. Ownership as
	// CompleteOutbox.
	PostponeOutbox(ctx context.Context, id, owner string, until time.Time, reason string) error
	// DeadOutbox gives up on an entry leased by owner at at: it becomes
	// dead (DeadAt at), keeps lastErr and is never leased again. Ownership
	// as CompleteOutbox; then as CompleteOutbox.
	DeadOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string, then ...*OutboxEntry) error
	// UncertainOutbox ends owner's lease of an entry whose send failed
	// ambiguously (LINE WORKS may have posted it) when the caller chose not
	// to send again (at most once): it becomes OutboxUncertain at at
	// (DeadAt), keeps lastErr and is never leased again. Ownership as
	// CompleteOutbox; then as CompleteOutbox.
	UncertainOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string, then ...*OutboxEntry) error
	// ReleaseOutbox ends every lease held by owner, as a dispatcher does on
	// graceful shutdown once its in-flight sends finished, so another
	// replica need not wait for the leases to lapse. The released attempts
	// were never made, so each entry's Attempts is decremented. It returns
	// the number released.
	ReleaseOutbox(ctx context.Context, owner string) (int, error)
	// ListOutbox returns an organization's entries passing the filter,
	// ordered by CreatedAt, then ID.
	ListOutbox(ctx context.Context, orgID string, f OutboxFilter) ([]*OutboxEntry, error)

	// InsertInbox stores a callback (checked with ValidateNew) unless an
	// entry with the same BotID and Hash exists, in which case it returns
	// false and no error: a replayed callback is stored once.
	InsertInbox(ctx context.Context, e *InboxEntry) (inserted bool, err error)
	// GetInbox returns one inbox entry.
	GetInbox(ctx context.Context, id string) (*InboxEntry, error)
	// LeaseInbox leases pending entries like LeaseOutbox, oldest
	// NextAttemptAt first (then ReceivedAt, ID).
	LeaseInbox(ctx context.Context, owner string, n int, leaseFor time.Duration, now time.Time) ([]*InboxEntry, error)
	// CompleteInbox marks an entry leased by owner as done at at.
	// Ownership as CompleteOutbox.
	CompleteInbox(ctx context.Context, id, owner string, at time.Time) error
	// RetryInbox ends owner's lease of an entry, keeping it pending until
	// nextAttempt, and records lastErr, like RetryOutbox. Ownership as
	// CompleteOutbox.
	RetryInbox(ctx context.Context, id, owner string, nextAttempt time.Time, lastErr string) error
	// DeadInbox gives up on an entry leased by owner at at: it becomes
	// dead and keeps lastErr. Ownership as CompleteOutbox.
	DeadInbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error
	// ReleaseInbox ends every inbox lease held by owner, decrementing
	// Attempts, and returns the number released.
	ReleaseInbox(ctx context.Context, owner string) (int, error)

	// EraseVisit erases a visitor's personal data now (a data subject's
	// request), following Visit.Erase: VisitorName, Company and Note become
	// empty, an erased event by actorUserID (empty for an admin outside
	// LINE WORKS) with note is appended to the timeline, and the visit's
	// outbox entries, whose messages carry the name, are deleted, pending
	// ones included, in one transaction. Statuses, counts and times stay.
	// Erasing an erased visit changes nothing. It returns the visit after
	// the change.
	EraseVisit(ctx context.Context, orgID, visitID, actorUserID string, at time.Time, note string) (*Visit, error)
	// Purge applies the retention rule to data older than before, across
	// all organizations: visits created before it lose their personal data
	// (VisitorName, Company, Note; counts, times and timelines stay),
	// appointments whose ValidUntil is before it lose theirs (the
	// visitors' names, companies and e-mail addresses, the title), and
	// done or dead outbox and inbox entries created or received before it
	// are deleted with their dedupe keys. It works in batches, each its own
	// transaction, so check-ins are not held up for long, and returns what
	// it did. Where several processes share the database one purges at a
	// time: a Purge that finds another running stops and reports Busy.
	Purge(ctx context.Context, before time.Time) (PurgeResult, error)

	// Close releases the store's resources. Calls after Close fail.
	Close() error
}

// PurgeResult is what Store.Purge (and one batch of Driver.Purge) did.
type PurgeResult struct {
	// Visits is the number of visits whose personal data was erased.
	Visits int
	// Appointments is the number of appointments whose personal data was
	// erased.
	Appointments int
	// Outbox and Inbox are the numbers of entries deleted.
	Outbox, Inbox int
	// Busy reports that another process was purging: this call stopped.
	Busy bool
}

// Total is the number of rows changed or deleted.
func (r PurgeResult) Total() int { return r.Visits + r.Appointments + r.Outbox + r.Inbox }

func (r *PurgeResult) add(o PurgeResult) {
	r.Visits, r.Appointments, r.Outbox, r.Inbox, r.Busy = r.Visits+o.Visits, r.Appointments+o.Appointments, r.Outbox+o.Outbox, r.Inbox+o.Inbox, o.Busy
}
