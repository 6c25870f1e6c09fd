-- Revert pnptv:broadcasts
BEGIN;
DROP INDEX outbox_due_bulk_idx;
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
ALTER TABLE outbox DROP COLUMN broadcast_id;
DROP TABLE broadcasts;
COMMIT;
