-- Revert pnptv:realtime_revocations
BEGIN;
-- Without the column a removed member would be a member again.
DELETE FROM hangout_members WHERE removed_at IS NOT NULL;
ALTER TABLE hangout_members DROP COLUMN removed_at;
DROP TRIGGER users_close_lost_access ON users;
DROP FUNCTION close_lost_access();
COMMIT;
