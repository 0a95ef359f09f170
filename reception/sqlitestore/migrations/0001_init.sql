-- 0001_init: the first schema of sqlitestore.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC (PostgreSQL's
-- precision, so that both stores keep the same instants); NULL stands for
-- the zero time. Tables are STRICT, so a value of the wrong type is an
-- error instead of a silent conversion. Lists and maps that are only ever
-- read whole (scopes, labels, channel IDs) are JSON text.

CREATE TABLE organizations (
	id                 TEXT    NOT NULL PRIMARY KEY,
	name               TEXT    NOT NULL,
	locale             TEXT    NOT NULL,
	kiosk_token        TEXT    NOT NULL,
	client_id          TEXT    NOT NULL,
	client_secret      BLOB,              -- sealed by the SecretBox; NULL when not set
	service_account_id TEXT    NOT NULL,
	private_key        BLOB,              -- sealed
	bot_id             INTEGER NOT NULL,  -- 0 until the bot exists
	bot_secret         BLOB,              -- sealed
	domain_id          INTEGER NOT NULL,
	admin_user_id      TEXT    NOT NULL,
	scopes             TEXT    NOT NULL,  -- JSON array
	rate_limit         INTEGER NOT NULL,
	default_channel_id TEXT    NOT NULL,
	created_at         INTEGER,
	updated_at         INTEGER
) STRICT;

-- Callbacks are routed by bot ID, so a bot belongs to one organization;
-- organizations without a bot (0) do not collide.
CREATE UNIQUE INDEX organizations_bot_id ON organizations (bot_id) WHERE bot_id <> 0;

CREATE TABLE buttons (
	org_id               TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id                   TEXT    NOT NULL,
	label                TEXT    NOT NULL,
	labels               TEXT    NOT NULL, -- JSON object
	sort_order           INTEGER NOT NULL,
	enabled              INTEGER NOT NULL,
	channel_ids          TEXT    NOT NULL, -- JSON array
	staff_ids            TEXT    NOT NULL, -- JSON array
	personal_first       INTEGER NOT NULL,
	template             TEXT    NOT NULL,
	reminder_after       INTEGER NOT NULL, -- nanoseconds
	reminder_mention_all INTEGER NOT NULL,
	reminder_max         INTEGER NOT NULL,
	PRIMARY KEY (org_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE staff (
	org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id         TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	button_ids TEXT    NOT NULL, -- JSON array
	active     INTEGER NOT NULL,
	PRIMARY KEY (org_id, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE rooms (
	org_id     TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	channel_id TEXT    NOT NULL,
	title      TEXT    NOT NULL,
	joined_at  INTEGER NOT NULL,
	left_at    INTEGER,
	PRIMARY KEY (org_id, channel_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE visits (
	org_id           TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	id               TEXT    NOT NULL,
	visitor_name     TEXT    NOT NULL,
	company          TEXT    NOT NULL,
	party_size       INTEGER NOT NULL,
	note             TEXT    NOT NULL,
	button_id        TEXT    NOT NULL, -- no foreign key: visits outlive their button
	staff_id         TEXT    NOT NULL,
	status           TEXT    NOT NULL,
	handler_user_id  TEXT    NOT NULL,
	handled_at       INTEGER,
	reminders        INTEGER NOT NULL,
	next_reminder_at INTEGER,
	created_at       INTEGER NOT NULL,
	PRIMARY KEY (org_id, id)
) STRICT, WITHOUT ROWID;

-- ListVisits: an organization's visits, newest first.
CREATE INDEX visits_org_created ON visits (org_id, created_at, id);

-- ListDueReminders: unhandled visits by due time, across organizations.
CREATE INDEX visits_due_reminders ON visits (next_reminder_at, org_id, id)
	WHERE next_reminder_at IS NOT NULL AND status IN ('waiting', 'escalated');

-- seq numbers a visit's events in the order they were recorded, so that
-- events with equal times keep that order (ORDER BY at, seq).
CREATE TABLE visit_events (
	org_id        TEXT    NOT NULL,
	visit_id      TEXT    NOT NULL,
	seq           INTEGER NOT NULL,
	kind          TEXT    NOT NULL,
	at            INTEGER NOT NULL,
	actor_user_id TEXT    NOT NULL,
	note          TEXT    NOT NULL,
	PRIMARY KEY (org_id, visit_id, seq),
	FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The outbox is keyed by its ID alone (WITHOUT ROWID): one b-tree fewer to
-- write per entry, which is most of a check-in's cost. Inbox rows carry
-- whole callback bodies and stay a rowid table.
CREATE TABLE outbox (
	id               TEXT    NOT NULL PRIMARY KEY, -- unique across organizations
	org_id           TEXT    NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	target_kind      TEXT    NOT NULL,
	target_id        TEXT    NOT NULL,
	content          BLOB    NOT NULL, -- byte for byte as given, never reformatted
	dedupe_key       TEXT    NOT NULL,
	visit_id         TEXT    NOT NULL, -- '' when none
	attempts         INTEGER NOT NULL,
	next_attempt_at  INTEGER NOT NULL,
	lease_owner      TEXT    NOT NULL, -- '' when not leased
	lease_expires_at INTEGER,
	last_error       TEXT    NOT NULL,
	state            TEXT    NOT NULL,
	created_at       INTEGER NOT NULL,
	sent_at          INTEGER
) STRICT, WITHOUT ROWID;

-- Dedupe keys are unique per organization; the index also serves
-- ListOutbox and the cascade of DeleteOrganization.
CREATE UNIQUE INDEX outbox_dedupe ON outbox (org_id, dedupe_key);

-- LeaseOutbox: due pending entries, oldest first.
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, created_at, id);

CREATE TABLE inbox (
	id               TEXT    NOT NULL PRIMARY KEY, -- unique across organizations
	org_id           TEXT    NOT NULL, -- no foreign key: inbox entries outlive organizations
	bot_id           INTEGER NOT NULL,
	body             BLOB    NOT NULL,
	hash             TEXT    NOT NULL,
	received_at      INTEGER NOT NULL,
	attempts         INTEGER NOT NULL,
	next_attempt_at  INTEGER NOT NULL,
	lease_owner      TEXT    NOT NULL,
	lease_expires_at INTEGER,
	last_error       TEXT    NOT NULL,
	state            TEXT    NOT NULL,
	processed_at     INTEGER
) STRICT;

-- A replayed callback is stored once per bot.
CREATE UNIQUE INDEX inbox_dedupe ON inbox (bot_id, hash);

-- LeaseInbox: due pending entries, oldest first.
CREATE INDEX inbox_due ON inbox (state, next_attempt_at, received_at, id);
