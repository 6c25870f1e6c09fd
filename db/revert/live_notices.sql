-- Revert pnptv:live_notices
BEGIN;
ALTER TABLE live_streams DROP COLUMN notices_sent_at;
COMMIT;
