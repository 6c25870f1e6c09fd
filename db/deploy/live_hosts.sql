-- Deploy pnptv:live_hosts to pg
-- Only someone who may go live stays live: a host who loses PRIME (and isn't an admin), as well
-- as one banned or deleted, has their stream ended in the same transaction, viewers told. Streams
-- of hosts who can no longer host are ended now.
BEGIN;

CREATE OR REPLACE FUNCTION close_lost_access() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone boolean := (NEW.banned_at IS NOT NULL AND OLD.banned_at IS NULL) OR (NEW.deleted_at IS NOT NULL AND OLD.deleted_at IS NULL);
    stops_hosting boolean := (OLD.tier = 'prime' OR OLD.role = 'admin') AND NOT (NEW.tier = 'prime' OR NEW.role = 'admin');
BEGIN
    IF gone OR (OLD.tier = 'prime' AND NEW.tier <> 'prime') OR (OLD.role = 'admin' AND NEW.role <> 'admin') THEN
        INSERT INTO outbox (kind, payload) VALUES ('realtime', jsonb_build_object('channel', 'user-' || NEW.id, 'close', true));
    END IF;
    IF gone OR stops_hosting THEN
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

WITH ended AS (
    UPDATE live_streams s SET status = 'ended', ended_at = now() FROM users u
     WHERE u.id = s.host_id AND s.status = 'live'
       AND (u.banned_at IS NOT NULL OR u.deleted_at IS NOT NULL OR NOT (u.tier = 'prime' OR u.role = 'admin'))
    RETURNING s.id)
INSERT INTO outbox (kind, payload, dedupe_key)
SELECT 'realtime', jsonb_build_object('channel', 'room-live-' || id, 'event', jsonb_build_object('type', 'ended', 'stream', id)), 'live-ended:' || id
  FROM ended
ON CONFLICT (dedupe_key) DO NOTHING;

COMMIT;
