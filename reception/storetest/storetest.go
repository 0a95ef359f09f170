// Package storetest is the conformance suite of [reception.Store]: the
// executable form of the contract described in package reception. Every
// store — reception.NewStore over a [reception.Driver] — runs it from its
// own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{Open: open, Parallel: true})
//	}
//
// The suite supplies every time it uses, so it never sleeps, and it compares
// with go-cmp, reporting differences as (-want +got).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/uketsuke/uketsuke/reception"
)

// Harness tells Run how to make stores of one implementation.
type Harness struct {
	// Open returns a Database holding an empty store that seals secrets
	// with box. Each call must give a database of its own (a new SQLite
	// file, a new PostgreSQL schema) unless Parallel is false. Open
	// registers with t.Cleanup whatever closes the stores and removes the
	// database; it fails t itself if it cannot open one. Required.
	Open func(t *testing.T, box *reception.SecretBox) *Database
	// Parallel lets subtests run in parallel; set it when Open gives
	// independent databases.
	Parallel bool
	// BeginTx begins a transaction of the application on db's database,
	// of the type the store's driver takes in reception.WithTx (it is a
	// reception.TxDriver). Nil for a store that cannot join one: the suite
	// then checks that CheckIn in a transaction is refused (ErrInvalid).
	BeginTx func(t *testing.T, db *Database) Tx
}

// Database is one database as the suite sees it.
type Database struct {
	// Store is the store Open made. Required.
	Store reception.Store
	// OpenAnother opens a second Store on the same database with the same
	// SecretBox, as another replica would, so the suite can check claims,
	// reminders and leases are exclusive across replicas, not only within
	// one process. Nil runs those cases on Store alone, which proves less;
	// stores meant for several replicas must set it.
	OpenAnother func(t *testing.T) reception.Store
	// RawContains reports whether needle occurs in the raw stored data: the
	// bytes of every stored value (decoded cell values, not a textual
	// escape of them — a bytea shown as hex hides nothing), or the database
	// file itself. The suite uses it to prove secrets are not stored in
	// clear, and checks it finds things that are. Required.
	RawContains func(t *testing.T, needle []byte) bool
}

// Run runs the whole suite against the stores h makes.
func Run(t *testing.T, h Harness) {
	if h.Open == nil {
		t.Fatal("storetest: Harness.Open is nil")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if h.Parallel {
				t.Parallel()
			}
			db := h.Open(t, NewBox(t))
			if db == nil || db.Store == nil {
				t.Fatal("storetest: Harness.Open returned no store")
			}
			c.fn(&env{t: t, ctx: t.Context(), db: db, s: db.Store, h: &h})
		})
	}
}

// NewBox returns a SecretBox with a new random key, for the stores' own
// tests.
func NewBox(t testing.TB) *reception.SecretBox {
	t.Helper()
	key := make([]byte, reception.SecretKeySize)
	_, _ = rand.Read(key)
	box, err := reception.NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

type testCase struct {
	name string
	fn   func(e *env)
}

// cases lists every case, in the order they run.
var cases = []testCase{
	{"Organizations", testOrganizations},
	{"OrganizationBotIDs", testBotIDs},
	{"OrganizationValidation", testOrganizationValidation},
	{"SecretsAtRest", testSecretsAtRest},
	{"Buttons", testButtons},
	{"Staff", testStaff},
	{"Rooms", testRooms},
	{"NotFound", testNotFound},
	{"TenantIsolation", testTenantIsolation},
	{"Copies", testCopies},
	{"DeleteOrganizationCascade", testDeleteCascade},
	{"CanceledContext", testContext},
	{"CheckIn", testCheckIn},
	{"ClaimRace", testClaimRace},
	{"Timeline", testTimeline},
	{"ListVisits", testListVisits},
	{"Reminders", testReminders},
	{"EnqueueOutbox", testEnqueueOutbox},
	{"LeaseExclusive", testLeaseExclusive},
	{"LeaseExpiry", testLeaseExpiry},
	{"PreLeasedCheckIn", testPreLeasedCheckIn},
	{"CompleteOutboxNotified", testCompleteNotified},
	{"RetryAndDeadLetter", testRetryAndDead},
	{"PostponeKeepsAttempts", testPostpone},
	{"ReleaseOnShutdown", testRelease},
	{"Inbox", testInbox},
	{"Purge", testPurge},
	{"PurgeReplicas", testPurgeReplicas},
	{"EraseVisit", testEraseVisit},
	{"Reference", testReference},
	{"SettleThen", testSettleThen},
	{"AppTransaction", testAppTransaction},
	{"Appointments", testAppointments},
	{"AppointmentCodes", testAppointmentCodes},
	{"AppointmentUpdate", testAppointmentUpdate},
	{"AppointmentEntries", testAppointmentEntries},
	{"AppointmentCreateRace", testAppointmentCreateRace},
	{"AppointmentArriveRace", testAppointmentArriveRace},
	{"AppointmentReminders", testAppointmentReminders},
	{"AppointmentDeleteOrg", testAppointmentDeleteOrg},
	{"AppointmentPurge", testAppointmentPurge},
	{"VisitAppointmentID", testVisitAppointmentID},
}

// env is what a case works with.
type env struct {
	t   *testing.T
	ctx context.Context
	db  *Database
	s   reception.Store
	h   *Harness
}

// stores returns the store and, when the harness can, a second one on the
// same database.
func (e *env) stores() []reception.Store {
	if e.db.OpenAnother == nil {
		e.t.Log("Database.OpenAnother is nil: checking exclusivity within one Store only")
		return []reception.Store{e.s}
	}
	return []reception.Store{e.s, e.db.OpenAnother(e.t)}
}

// t0 is the suite's epoch; every time is derived from it.
var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// opts are the comparison options: stores may return nil for empty slices
// and maps; times compare with Equal (go-cmp uses the method).
var opts = cmp.Options{cmpopts.EquateEmpty()}

func (e *env) diff(what string, want, got any) {
	e.t.Helper()
	if d := cmp.Diff(want, got, opts); d != "" {
		e.t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

func (e *env) ok(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("unexpected error: %v", err)
	}
}

// is checks err wraps target; what names the call.
func (e *env) is(what string, err, target error) {
	e.t.Helper()
	if !errors.Is(err, target) {
		e.t.Errorf("%s: got error %v, want one wrapping %v", what, err, target)
	}
}

// field checks err is ErrInvalid and names field.
func (e *env) field(what string, err error, field string) {
	e.t.Helper()
	if !errors.Is(err, reception.ErrInvalid) {
		e.t.Errorf("%s: got error %v, want ErrInvalid naming %s", what, err, field)
		return
	}
	var names []string
	for _, fe := range reception.FieldErrors(err) {
		names = append(names, fe.Field)
	}
	if !slices.Contains(names, field) {
		e.t.Errorf("%s: error names fields %q, want %q among them (error: %v)", what, names, field, err)
	}
}

// ---- fixtures

func pemKey(id string) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("storetest private key material of " + id)})
}

func newOrg(id string, bot int64) *reception.Organization {
	return &reception.Organization{
		ID: id, Name: "Org " + id, Locale: "ja", KioskToken: "kiosk-token-" + id + "-0123456789", OpenTaps: id == "org-b",
		KioskFallback: "内線100番にお電話ください / Please call extension 100 (" + id + ")",
		Integration: reception.Integration{
			ClientID: "client-" + id, ClientSecret: "client-secret-" + id + "-Zq8",
			ServiceAccountID: "sa-" + id + ".serviceaccount@example.com", PrivateKey: pemKey(id),
			BotID: bot, BotSecret: "bot-secret-" + id + "-Xw3", DomainID: 40029600,
			AdminUserID: "admin-" + id, Scopes: []string{"bot", "user.read"}, RateLimit: 240,
			DefaultChannelID: "channel-default-" + id,
		},
		CreatedAt: t0, UpdatedAt: t0,
	}
}

// redacted is o as GetOrganization returns it: secrets redacted, the
// kiosk token as its hash.
func redacted(o *reception.Organization) *reception.Organization {
	c := o.Clone()
	c.KioskToken = reception.HashKioskToken(c.KioskToken)
	c.Integration.Redact()
	return c
}

// withSecrets is o as GetOrganizationWithSecrets returns it.
func withSecrets(o *reception.Organization) *reception.Organization {
	c := o.Clone()
	c.KioskToken = reception.HashKioskToken(c.KioskToken)
	c.Integration.Redacted = false
	c.Integration.Stored = c.Integration.Present()
	return c
}

func newButton(org, id string, order int) *reception.Button {
	return &reception.Button{
		ID: id, OrgID: org, Label: "受付 " + id, Labels: map[string]string{"en": "Desk " + id},
		Order: order, Enabled: true, ChannelIDs: []string{"channel-" + id}, StaffIDs: []string{"staff-1"},
		Template: "{{.VisitorName}} 様がお見えです",
		Reminder: reception.ReminderPolicy{After: 5 * time.Minute, MentionAll: true, Max: 2},
	}
}

func newStaff(org, id string) *reception.Staff {
	return &reception.Staff{ID: id, OrgID: org, Name: "Staff " + id, UserID: "user-" + id, ButtonIDs: []string{"b1"}, Active: true}
}

func newVisit(org, id string, created time.Time) *reception.Visit {
	return &reception.Visit{
		ID: id, OrgID: org, VisitorName: "山田 太郎", Company: "Example KK", PartySize: 2,
		Note: "10時のお約束", ButtonID: "b1", StaffID: "staff-1", Status: reception.StatusWaiting,
		NextReminderAt: created.Add(5 * time.Minute), CreatedAt: created,
	}
}

func newEntry(org, id, dedupe string, created time.Time) *reception.OutboxEntry {
	return &reception.OutboxEntry{
		ID: id, OrgID: org, Target: reception.Target{Kind: reception.TargetRoom, ID: "channel-1"},
		Content:   []byte(fmt.Sprintf(`{"type":"text","text":"entry %s"}`, id)),
		DedupeKey: dedupe, State: reception.OutboxPending, CreatedAt: created, NextAttemptAt: created,
	}
}

// checkedIn is v as the store holds it right after CheckIn.
func checkedIn(v *reception.Visit) *reception.Visit {
	c := v.Clone()
	c.Events = []reception.VisitEvent{{Kind: reception.EventCheckedIn, At: v.CreatedAt}}
	return c
}

func (e *env) putOrg(o *reception.Organization) {
	e.t.Helper()
	e.ok(e.s.PutOrganization(e.ctx, o))
}

func (e *env) checkIn(v *reception.Visit, entries ...*reception.OutboxEntry) {
	e.t.Helper()
	e.ok(e.s.CheckIn(e.ctx, v, entries))
}

func (e *env) outbox(org string, f reception.OutboxFilter) []*reception.OutboxEntry {
	e.t.Helper()
	got, err := e.s.ListOutbox(e.ctx, org, f)
	e.ok(err)
	return got
}

func (e *env) visit(org, id string) *reception.Visit {
	e.t.Helper()
	v, err := e.s.GetVisit(e.ctx, org, id)
	e.ok(err)
	return v
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func outboxID(e *reception.OutboxEntry) string { return e.ID }
func visitID(v *reception.Visit) string        { return v.ID }
