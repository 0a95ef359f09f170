-- 0003_outbox_dead_at: when an outbox entry was given up on
-- (OutboxEntry.DeadAt, DeadOutbox's time); NULL unless it is dead. A
-- nullable column without a default is a catalog change only.

ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
