-- Deploy pnptv:live_notices — a host who goes live again and again tells their followers once
-- per cooldown, not once per stream.
BEGIN;
ALTER TABLE live_streams ADD COLUMN notices_sent_at timestamptz;
CREATE INDEX live_streams_notices_idx ON live_streams (host_id, notices_sent_at) WHERE notices_sent_at IS NOT NULL;
COMMIT;
