-- 0003_outbox_dead_at: when an outbox entry was given up on
-- (OutboxEntry.DeadAt, DeadOutbox's time); NULL unless it is dead.

ALTER TABLE outbox ADD COLUMN dead_at INTEGER;
