-- Revert pnptv:chat_live
BEGIN;
DROP INDEX live_streams_live_idx;
ALTER TABLE live_streams DROP COLUMN prime_only;
DROP TABLE chat_mutes;
ALTER TABLE chat_messages DROP COLUMN deleted_by;
DROP INDEX chat_messages_room_keyset_idx;
CREATE INDEX chat_messages_room_idx ON chat_messages (room, created_at);
DELETE FROM outbox WHERE kind = 'realtime';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('telegram', 'email'));
COMMIT;
