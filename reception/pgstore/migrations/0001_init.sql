-- 0001_init: the reception schema.
--
-- IDs and other keys compared by the contract ("ordered by ID") use the "C"
-- collation, so PostgreSQL orders them byte by byte like every other store,
-- whatever the database's default collation. Times are timestamptz
-- (microseconds); a zero time.Time is NULL.

CREATE TABLE organizations (
    id                 text COLLATE "C" PRIMARY KEY,
    name               text NOT NULL,
    locale             text NOT NULL DEFAULT '',
    kiosk_token        text NOT NULL DEFAULT '',
    client_id          text NOT NULL DEFAULT '',
    service_account_id text NOT NULL DEFAULT '',
    bot_id             bigint NOT NULL DEFAULT 0,
    domain_id          bigint NOT NULL DEFAULT 0,
    admin_user_id      text NOT NULL DEFAULT '',
    scopes             text[] NOT NULL DEFAULT '{}',
    rate_limit         integer NOT NULL DEFAULT 0,
    default_channel_id text NOT NULL DEFAULT '',
    -- SecretBox ciphertexts bound to the organization and field; NULL when
    -- the secret is not set. Never clear text.
    client_secret_sealed bytea,
    private_key_sealed   bytea,
    bot_secret_sealed    bytea,
    created_at         timestamptz,
    updated_at         timestamptz
);

-- Callbacks are routed by bot ID; 0 means "no bot yet" and may repeat.
CREATE UNIQUE INDEX organizations_bot_id_key ON organizations (bot_id) WHERE bot_id <> 0;

CREATE TABLE buttons (
    org_id         text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id             text COLLATE "C" NOT NULL,
    label          text NOT NULL,
    labels         jsonb NOT NULL DEFAULT '{}',
    sort_order     bigint NOT NULL DEFAULT 0,
    enabled        boolean NOT NULL DEFAULT false,
    channel_ids    text[] NOT NULL DEFAULT '{}',
    staff_ids      text[] NOT NULL DEFAULT '{}',
    personal_first boolean NOT NULL DEFAULT false,
    template       text NOT NULL DEFAULT '',
    reminder_after_ns   bigint NOT NULL DEFAULT 0,
    reminder_mention_all boolean NOT NULL DEFAULT false,
    reminder_max   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE staff (
    org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         text COLLATE "C" NOT NULL,
    name       text NOT NULL,
    user_id    text NOT NULL,
    button_ids text[] NOT NULL DEFAULT '{}',
    active     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE rooms (
    org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id text COLLATE "C" NOT NULL,
    title      text NOT NULL DEFAULT '',
    joined_at  timestamptz NOT NULL,
    left_at    timestamptz,
    PRIMARY KEY (org_id, channel_id)
);

-- button_id has no foreign key on purpose: visits keep it after the button
-- is deleted.
CREATE TABLE visits (
    org_id           text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               text COLLATE "C" NOT NULL,
    visitor_name     text NOT NULL DEFAULT '',
    company          text NOT NULL DEFAULT '',
    party_size       integer NOT NULL DEFAULT 0,
    note             text NOT NULL DEFAULT '',
    button_id        text NOT NULL,
    staff_id         text NOT NULL DEFAULT '',
    status           text NOT NULL,
    handler_user_id  text NOT NULL DEFAULT '',
    handled_at       timestamptz,
    reminders        integer NOT NULL DEFAULT 0,
    next_reminder_at timestamptz,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- ListVisits: newest first within an organization.
CREATE INDEX visits_org_created_idx ON visits (org_id, created_at DESC, id DESC);
-- ListDueReminders: unhandled visits with a reminder due.
CREATE INDEX visits_due_reminders_idx ON visits (next_reminder_at, org_id, id)
    WHERE status IN ('waiting', 'escalated') AND next_reminder_at IS NOT NULL;

-- seq orders events recorded at equal times in the order they were
-- recorded; writers of one visit are serialized by the visit's row lock.
CREATE TABLE visit_events (
    org_id        text COLLATE "C" NOT NULL,
    visit_id      text COLLATE "C" NOT NULL,
    seq           bigint GENERATED ALWAYS AS IDENTITY,
    kind          text NOT NULL,
    at            timestamptz NOT NULL,
    actor_user_id text NOT NULL DEFAULT '',
    note          text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, visit_id, seq),
    FOREIGN KEY (org_id, visit_id) REFERENCES visits (org_id, id) ON DELETE CASCADE
);

-- content is bytea: the message JSON comes back byte for byte (jsonb would
-- reformat it). visit_id has no foreign key: an entry may outlive nothing
-- but its organization.
CREATE TABLE outbox (
    id               text COLLATE "C" PRIMARY KEY,
    org_id           text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    target_kind      text NOT NULL,
    target_id        text NOT NULL,
    content          bytea NOT NULL,
    dedupe_key       text COLLATE "C" NOT NULL,
    visit_id         text COLLATE "C" NOT NULL DEFAULT '',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_owner      text NOT NULL DEFAULT '',
    lease_expires_at timestamptz,
    last_error       text NOT NULL DEFAULT '',
    state            text NOT NULL,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    UNIQUE (org_id, dedupe_key)
);

-- LeaseOutbox: due pending entries, oldest first.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, created_at, id) WHERE state = 'pending';
-- ReleaseOutbox: pending entries leased by one owner.
CREATE INDEX outbox_lease_owner_idx ON outbox (lease_owner) WHERE state = 'pending' AND lease_owner <> '';
-- ListOutbox: an organization's entries in creation order.
CREATE INDEX outbox_org_created_idx ON outbox (org_id, created_at, id);
CREATE INDEX outbox_org_visit_idx ON outbox (org_id, visit_id) WHERE visit_id <> '';

-- Inbox entries have no foreign key: they are raw callbacks keyed by bot and
-- outlive a deleted organization.
CREATE TABLE inbox (
    id               text COLLATE "C" PRIMARY KEY,
    org_id           text COLLATE "C" NOT NULL DEFAULT '',
    bot_id           bigint NOT NULL,
    body             bytea NOT NULL,
    hash             text COLLATE "C" NOT NULL,
    received_at      timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    lease_owner      text NOT NULL DEFAULT '',
    lease_expires_at timestamptz,
    last_error       text NOT NULL DEFAULT '',
    state            text NOT NULL,
    processed_at     timestamptz,
    UNIQUE (bot_id, hash)
);

-- LeaseInbox: due pending entries, oldest first.
CREATE INDEX inbox_due_idx ON inbox (next_attempt_at, received_at, id) WHERE state = 'pending';
-- ReleaseInbox.
CREATE INDEX inbox_lease_owner_idx ON inbox (lease_owner) WHERE state = 'pending' AND lease_owner <> '';
