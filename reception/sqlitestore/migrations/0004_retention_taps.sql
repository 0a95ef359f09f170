-- 0004_retention_taps: whether anyone may accept or escalate a visit from
-- any room (Organization.OpenTaps; 0, the default, takes taps only from the
-- visit's audience).

ALTER TABLE organizations ADD COLUMN open_taps INTEGER NOT NULL DEFAULT 0;
