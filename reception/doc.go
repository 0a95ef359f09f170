// Package reception is uketsuke's domain: organizations (tenants) and their
// LINE WORKS integration, reception buttons, staff, talk rooms, visits with
// their timelines, appointments with their reception codes, and the outbox and inbox that connect them to LINE WORKS
// durably. It defines the [Store] contract the rest of uketsuke uses, its
// one implementation, [NewStore], the smaller [Driver] contract a storage
// backend implements, and the error kinds they all return. It uses the
// standard library only and knows nothing of LINE WORKS' API or of SQL.
//
// # Store and drivers
//
// A Store is NewStore(name, driver, box). NewStore's Store applies every
// domain rule once, for every backend: validation, sealing secrets with the
// [SecretBox] and redacting them, the visit state machine ([Visit.Claim],
// [Visit.Apply], [Visit.Remind]) and the diff of events it leaves, the
// appointment's checks (an update keeps its identity and never revives
// it; the live appointment answers for a code), the checked_in event of a
// check-in, lease ownership and its explanations,
// default and normalized times, the order of buttons, staff and rooms. A
// [Driver] only stores: an organization directory with [KeyedDriver]
// tables of buttons, staff and rooms, a [VisitDriver], an
// [AppointmentDriver] (whose one rule of its own is the reception code's
// uniqueness, checked atomically with the insert), and one
// [QueueDriver] shape for both the outbox and the inbox, whose leases end
// with one verb, Settle, and an [Outcome] (Done, Retry, Postpone, Dead) —
// so the outbox and inbox Store verbs match (Complete…, Retry…, Dead… with
// a time, Release…). Driver's documentation lists what reception
// guarantees a driver and what a driver must do.
//
// The memstore, sqlitestore and pgstore packages are drivers wrapped by
// NewStore; a minimal driver in this package's tests shows how little one
// needs. All pass the same conformance suite, storetest.Run, which is the
// executable form of the rules below. Where this documentation and the
// suite disagree, fix one of them.
//
// # The contract
//
// Errors. Every method returns errors wrapping [ErrNotFound], [ErrConflict]
// or [ErrInvalid] for the conditions documented on it, so callers use
// errors.Is and never see a driver's error type for them; stores translate
// constraint violations (unique, foreign key) at their edge. Invalid input
// is reported with one [*FieldError] per wrong field, found with errors.As
// or [FieldErrors]. A canceled context makes a call fail with an error
// wrapping the context's error. Error strings never contain secrets.
//
// Validation. The Store validates every value before a driver sees it,
// with the entity's Validate method (or [ValidateCheckIn],
// [OutboxEntry.ValidateNew], [InboxEntry.ValidateNew], [ValidateLease]), so
// all stores accept and reject exactly the same values.
//
// Tenant isolation. Every method about one organization's data takes the
// organization's ID, and an ID of another organization behaves exactly like
// an ID that does not exist (ErrNotFound), for reads, writes and claims.
// Button, staff, visit and room IDs are unique per organization: two
// organizations may use the same ones. Writing a child of an organization
// that does not exist is ErrNotFound. The outbox and inbox workers'
// methods (Lease…, Complete…, …) work across organizations by design;
// outbox and inbox entry IDs are unique across the store.
//
// Copies. A store keeps no reference to values passed in and returns values
// the caller owns: mutating either side never changes the other.
//
// Atomicity. CheckIn, ClaimVisit, AppendVisitEvent, RecordReminder,
// CreateAppointment and UpdateAppointment each read and write in one
// transaction, with the outbox entries they are given, and the visit state
// machine they follow is defined once, by [Visit.Claim], [Visit.Apply] and
// [Visit.Remind] (an appointment's by [Appointment.Arrive] and
// [Appointment.Cancel]): the driver loads the visit under a lock (or in a
// transaction that serializes writers, [VisitDriver.UpdateVisit]), the
// Store applies the method, and the driver writes the [VisitChange]. Several
// Store values on one database (replicas) must still see a claim won once,
// a reminder recorded once, a reception code held by one live appointment
// and a day code used once, and an outbox or inbox entry leased to one
// owner at a time.
//
// Times. Callers supply every time (check-in, claim, lease "now"), which
// keeps stores free of clocks and tests free of sleeps. The Store keeps
// times to the microsecond (PostgreSQL's precision: it truncates them, in
// UTC, before a driver sees them), and drivers may return them in any
// location: compare with time.Time.Equal. Empty slices and maps may come
// back nil.
//
// Field errors. A [*FieldError]'s Field names the wrong field of the value
// passed in, as the Go field path: "VisitorName", "Integration.BotID",
// entries of a check-in as "Entries[i].DedupeKey", a settlement's new
// entries as "Then[i].DedupeKey", a filter's as "Status" or "Reference";
// a missing argument is named by its type ("Visit", "Entry", "Reminder")
// or its parameter ("At", "SentAt", "NextAttempt", "Until", "Owner",
// "Limit"). One call reports every wrong field at once.
//
// Timelines. A visit's Events are ordered by At and, for equal At, by the
// order they were recorded; an event recorded with an earlier At than
// others (a notified event completed late) is placed by its At, not at the
// end. The checked_in event is at CreatedAt, first. ListVisits returns
// visits newest first (CreatedAt, then ID, descending); ListDueReminders
// earliest NextReminderAt first (then OrgID, ID); ListAppointments by
// StartsAt, then ID; ListDueAppointmentReminders earliest due first (then
// OrgID, ID); ListOutbox by CreatedAt, then ID.
//
// Leases. A lease is owner's from LeaseOutbox (or LeaseInbox) until
// now+leaseFor; at or after that instant another owner may lease the entry
// again (the first lease's Attempts still counted). Only the owner
// settles a lease — Complete…, Retry…, Postpone…, Dead… (and
// UncertainOutbox) — and it still may after the lease lapsed, as long as
// nobody took the entry over; anyone else gets ErrConflict, as does
// settling an entry that is no longer pending, and a missing entry is
// ErrNotFound. Retry keeps the attempt, Postpone and Release give it back.
// A settlement's then entries are enqueued only with a settlement that
// succeeds, skipping those whose ID or dedupe key is used. Dead and
// uncertain entries are never leased again.
//
// The application's transaction. Under a context made with [WithTx],
// CheckIn writes inside the application's own transaction, in a savepoint
// a failure rolls back, so that the application decides whether to commit;
// nothing is visible to other connections, and so to dispatchers, until
// it commits. A driver implements it with [TxDriver] (pgstore takes a
// pgx.Tx, sqlitestore a *sql.Tx begun on its Store.DB, memstore its own
// Tx for tests, the minimal driver its own too); a driver without it, or a
// transaction of the wrong type, is refused with ErrInvalid.
//
// Secrets. The Client Secret, private key and bot secret of an
// [Integration] are encrypted at rest with a [SecretBox] the application
// gives the store ([SecretBox.SealSecrets], [SecretBox.OpenSecrets] do the
// per-field work), so they never appear in clear in the database. Only
// GetOrganizationWithSecrets returns them; every other read returns them
// blanked with Integration.Redacted set, and writing such a value back keeps
// the stored secrets.
//
// # Outbox and inbox
//
// A check-in and its notifications are written together (CheckIn), and a
// dispatcher later leases due outbox entries, sends them, and completes,
// retries or buries them; a crash can delay a message but not lose it, and
// dedupe keys keep a repeated cause from sending twice. Callbacks, which
// LINE WORKS never redelivers, are stored in the inbox before they are
// answered and processed from there the same way.
package reception
