-- Revert pnptv:live_hosts (the trigger as realtime_revocations made it; ended streams stay ended)
BEGIN;
CREATE OR REPLACE FUNCTION close_lost_access() RETURNS trigger LANGUAGE plpgsql AS $$
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
COMMIT;
