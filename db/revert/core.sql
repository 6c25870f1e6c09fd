-- Revert pnptv:core
BEGIN;
DROP TABLE audit_log;
DROP TABLE users;
DROP FUNCTION set_updated_at();
COMMIT;
