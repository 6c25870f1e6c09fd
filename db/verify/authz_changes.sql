-- Verify pnptv:authz_changes
SELECT user_id, version, changed_at, due_at, attempts, claimed_until, last_error FROM authz_changes WHERE false;
SELECT 'note_authz_change()'::regprocedure;
