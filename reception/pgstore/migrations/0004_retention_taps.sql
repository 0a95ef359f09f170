-- 0004_retention_taps: whether anyone may accept or escalate a visit from
-- any room (Organization.OpenTaps; false, the default, takes taps only
-- from the visit's audience). A constant default is a catalog change only.

ALTER TABLE organizations ADD COLUMN open_taps boolean NOT NULL DEFAULT false;
