-- Deploy pnptv:authz_changes — the guard's Redis record of each user (`user:<id>:authz`: banned,
-- role, tier) is a projection of the users row. The intent to rewrite it is written by the
-- database itself, in the same transaction as the change, whoever made it (this code, the Node
-- stack sharing the database, an operator's psql), and authz-worker applies it until Redis
-- answers. One pending row per user: a change arriving while one is pending bumps `version`, so
-- the worker, which deletes only the version it applied, never loses the later change. Rows
-- never die: a row is deleted only once applied.
BEGIN;

CREATE TABLE authz_changes (
    user_id       bigint PRIMARY KEY,   -- no foreign key: a deleted user's record must go too
    version       bigint NOT NULL DEFAULT 1,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    due_at        timestamptz NOT NULL DEFAULT now(),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    claimed_until timestamptz,
    last_error    text CHECK (char_length(last_error) <= 500)
);
CREATE INDEX authz_changes_due_idx ON authz_changes (due_at);

CREATE FUNCTION note_authz_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
BEGIN
    INSERT INTO authz_changes (user_id) VALUES (changed)
    ON CONFLICT (user_id) DO UPDATE
        SET version = authz_changes.version + 1, changed_at = now(), due_at = now(), attempts = 0;
    PERFORM pg_notify('authz_changes', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_authz_insert AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION note_authz_change();
CREATE TRIGGER users_authz_update AFTER UPDATE OF banned_at, role, tier ON users
    FOR EACH ROW WHEN (OLD.banned_at IS DISTINCT FROM NEW.banned_at OR OLD.role IS DISTINCT FROM NEW.role
                       OR OLD.tier IS DISTINCT FROM NEW.tier)
    EXECUTE FUNCTION note_authz_change();

-- authz-worker's repair pass compares the records of recently changed users.
CREATE INDEX users_updated_at_idx ON users (updated_at);

-- Backfill: every user gets a record (the guard denies a session whose user has none).
INSERT INTO authz_changes (user_id) SELECT id FROM users ON CONFLICT (user_id) DO NOTHING;

COMMIT;
