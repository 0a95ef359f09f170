package reception

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// InboxState is where an inbox entry stands.
type InboxState string

// The states of an inbox entry.
const (
	// InboxPending entries wait to be processed.
	InboxPending InboxState = "pending"
	// InboxDone entries were processed.
	InboxDone InboxState = "done"
	// InboxDead entries were given up on; LastError says why.
	InboxDead InboxState = "dead"
)

// Valid reports whether s is one of the defined states.
func (s InboxState) Valid() bool {
	return s == InboxPending || s == InboxDone || s == InboxDead
}

// InboxEntry is one callback from LINE WORKS, stored before the callback is
// answered. LINE WORKS never redelivers a callback, so the endpoint verifies
// the signature, stores the raw body here, answers 200, and a worker
// processes the entry afterwards.
type InboxEntry struct {
	// ID identifies the entry across all organizations.
	ID string
	// OrgID is the organization, if it was known when the callback arrived;
	// empty otherwise (the worker resolves it by BotID).
	OrgID string
	// BotID is the bot the callback was for (the X-WORKS-BotId header).
	BotID int64
	// Body is the raw callback body, byte for byte.
	Body []byte
	// Hash is HashBody(Body). A store keeps one entry per (BotID, Hash):
	// LINE WORKS sends the same event to every bot in a room, so identical
	// bodies for different bots are different entries.
	Hash string
	// ReceivedAt is when the callback arrived. Required.
	ReceivedAt time.Time
	// Attempts counts leases.
	Attempts int
	// NextAttemptAt is when the entry is due; zero at insert means
	// ReceivedAt.
	NextAttemptAt time.Time
	// LeaseOwner is the worker holding the entry; empty when none.
	LeaseOwner string
	// LeaseExpiresAt is when the lease lapses.
	LeaseExpiresAt time.Time
	// LastError is the error of the last failed attempt.
	LastError string
	// State is where the entry stands.
	State InboxState
	// ProcessedAt is when the entry was completed or given up on.
	ProcessedAt time.Time
}

// HashBody returns the lowercase hex SHA-256 of body.
func HashBody(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}

// NewInboxEntry returns a pending entry with a new ID and the body's hash.
func NewInboxEntry(orgID string, botID int64, body []byte, receivedAt time.Time) *InboxEntry {
	return &InboxEntry{
		ID: NewID(), OrgID: orgID, BotID: botID, Body: body, Hash: HashBody(body),
		ReceivedAt: receivedAt, NextAttemptAt: receivedAt, State: InboxPending,
	}
}

// Validate checks the entry; the error names each wrong field.
func (e *InboxEntry) Validate() error {
	var f fieldErrs
	f.id("ID", e.ID)
	f.optID("OrgID", e.OrgID)
	if e.BotID <= 0 {
		f.add("BotID", "must be positive")
	}
	if len(e.Body) == 0 {
		f.add("Body", "is required")
	}
	if e.Hash != HashBody(e.Body) {
		f.add("Hash", "is not the SHA-256 of Body (use HashBody)")
	}
	if e.ReceivedAt.IsZero() {
		f.add("ReceivedAt", "is required")
	}
	if e.Attempts < 0 {
		f.add("Attempts", "must not be negative")
	}
	if !e.State.Valid() {
		f.addf("State", "must be pending, done or dead, not %q", e.State)
	}
	return f.err()
}

// ValidateNew checks an entry about to be inserted: valid, pending, never
// attempted, not leased.
func (e *InboxEntry) ValidateNew() error {
	var f fieldErrs
	f.errs = append(f.errs, e.Validate())
	if e.State != InboxPending {
		f.add("State", "must be pending when inserted")
	}
	if e.Attempts != 0 {
		f.add("Attempts", "must be 0 when inserted")
	}
	if e.LeaseOwner != "" || !e.LeaseExpiresAt.IsZero() {
		f.add("LeaseOwner", "must be empty when inserted")
	}
	if !e.ProcessedAt.IsZero() {
		f.add("ProcessedAt", "must be zero when inserted")
	}
	return f.err()
}

// Clone returns a deep copy of e.
func (e *InboxEntry) Clone() *InboxEntry {
	if e == nil {
		return nil
	}
	c := *e
	c.Body = bytes.Clone(e.Body)
	return &c
}
