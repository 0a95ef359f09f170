-- 0004_rate_limits: the shared LINE WORKS rate budget of every replica
-- (Store.TakeRate, Store.HoldRate). One row per tenant and API: tat is the
-- theoretical arrival time of the generic cell rate algorithm, i.e. when the
-- budget is next fully rested; a row whose tat has passed means the same as
-- no row, and is deleted now and then.

CREATE TABLE rate_limits (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);
