-- Deploy pnptv:broadcasts to pg
-- An admin's message to everyone or a segment, queued through the outbox as one row per person.
BEGIN;

CREATE TABLE broadcasts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 4096),
    tier       text CHECK (tier IN ('free', 'prime')),       -- NULL: every tier
    language   text CHECK (language IN ('en', 'es')),        -- NULL: every language
    recipients integer NOT NULL DEFAULT 0 CHECK (recipients >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX broadcasts_created_at_idx ON broadcasts (created_at);

-- A broadcast's messages: paced apart from the rest (below Telegram's overall limit, so a
-- payment's receipt never waits behind a thousand of them), and counted for its progress.
ALTER TABLE outbox ADD COLUMN broadcast_id bigint REFERENCES broadcasts (id) ON DELETE SET NULL;
CREATE INDEX outbox_broadcast_idx ON outbox (broadcast_id) WHERE broadcast_id IS NOT NULL;
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL AND broadcast_id IS NULL;
CREATE INDEX outbox_due_bulk_idx ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL AND broadcast_id IS NOT NULL;

COMMIT;
