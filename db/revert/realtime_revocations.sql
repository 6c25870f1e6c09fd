-- Revert pnptv:realtime_revocations
BEGIN;
ALTER TABLE hangout_members DROP COLUMN removed_at;
DROP TRIGGER users_close_lost_access ON users;
DROP FUNCTION close_lost_access();
COMMIT;
