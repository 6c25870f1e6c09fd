-- Deploy pnptv:realtime_revocations to pg
-- Whoever loses access — banned, account deleted, PRIME ended, no longer admin — by whatever path
-- (this code, the Node stack, an operator's psql), has their open realtime connections closed
-- in the same transaction: an outbox row that deletes their nchan channel `user-<id>`
-- (common/realtime.hpp names the channels), so their pages reconnect and are checked afresh. A
-- banned or deleted host's live stream ends too, its viewers told (`room-live-<id>`, the same
-- event and once-only key as common/live.cpp's end_live).
BEGIN;

CREATE FUNCTION close_lost_access() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone boolean := (NEW.banned_at IS NOT NULL AND OLD.banned_at IS NULL) OR (NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL);
BEGIN
    IF gone OR (OLD.tier = 'prime' AND NEW.tier <> 'prime') OR (OLD.role = 'admin' AND NEW.role <> 'admin') THEN
        INSERT INTO outbox (kind, payload) VALUES ('realtime', jsonb_build_object('channel', 'user-' || NEW.id, 'close', true));
    END IF;
    IF gone THEN
        WITH ended AS (
            UPDATE live_streams SET status = 'ended', ended_at = now() WHERE host_id = NEW.id AND status = 'live' RETURNING id)
        INSERT INTO outbox (kind, payload, dedupe_key)
        SELECT 'realtime', jsonb_build_object('channel', 'room-live-' || id, 'event', jsonb_build_object('type', 'ended', 'stream', id)),
               'live-ended:' || id
          FROM ended
        ON CONFLICT (dedupe_key) DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_close_lost_access AFTER UPDATE OF banned_at, deleted_at, tier, role ON users
    FOR EACH ROW EXECUTE FUNCTION close_lost_access();

-- A member the owner removed stays out: the invitation they hold no longer admits them (the
-- owner can admit them again).
ALTER TABLE hangout_members ADD COLUMN removed_at timestamptz;

COMMIT;
