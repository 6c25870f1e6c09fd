-- Deploy pnptv:messaging — Telegram updates already acted on, and the outbox every message and
-- email leaves through (written in the same transaction as the state change that causes it).
BEGIN;

CREATE TABLE telegram_updates (
    update_id   bigint PRIMARY KEY,
    kind        text NOT NULL CHECK (char_length(kind) <= 64),   -- message, callback_query, …
    outcome     text NOT NULL CHECK (char_length(outcome) <= 64),
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX telegram_updates_received_at_idx ON telegram_updates (received_at);

CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('telegram', 'email')),
    user_id         bigint REFERENCES users (id) ON DELETE CASCADE,  -- the recipient, when a user
    payload         jsonb NOT NULL,
    dedupe_key      text UNIQUE CHECK (char_length(dedupe_key) <= 200),  -- one message per cause
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until   timestamptz,   -- a worker holds the row until then; expired claims are taken over
    delivered_at    timestamptz,
    dead_at         timestamptz,   -- gave up after the last attempt; kept for admins
    last_error      text CHECK (char_length(last_error) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (delivered_at IS NULL OR dead_at IS NULL)
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_user_idx ON outbox (user_id);
CREATE INDEX outbox_created_at_idx ON outbox (created_at);
CREATE INDEX outbox_dead_idx ON outbox (dead_at) WHERE dead_at IS NOT NULL;

-- Wakes notify-worker (LISTEN outbox) when rows are committed, instead of tight polling.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();

COMMIT;
