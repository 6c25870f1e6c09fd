-- Revert pnptv:messaging
BEGIN;
DROP TABLE outbox;
DROP FUNCTION notify_outbox();
DROP TABLE telegram_updates;
COMMIT;
