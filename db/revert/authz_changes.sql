-- Revert pnptv:authz_changes
BEGIN;
DROP TRIGGER users_authz_update ON users;
DROP TRIGGER users_authz_insert ON users;
DROP FUNCTION note_authz_change();
DROP TABLE authz_changes;
DROP INDEX users_updated_at_idx;
COMMIT;
