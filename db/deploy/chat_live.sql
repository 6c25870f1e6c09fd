-- Deploy pnptv:chat_live to pg
-- Realtime chat (mutes, keyset history, events through the outbox) and live streams on the web.
BEGIN;

-- Events for browsers (nchan) join Telegram messages and e-mails in the outbox.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('telegram', 'email', 'realtime'));

-- History pages walk (room, created_at, id) backwards.
DROP INDEX chat_messages_room_idx;
CREATE INDEX chat_messages_room_keyset_idx ON chat_messages (room, created_at DESC, id DESC);
-- Who deleted a message (an admin, or its author).
ALTER TABLE chat_messages ADD COLUMN deleted_by bigint REFERENCES users (id) ON DELETE SET NULL;

-- A mute keeps a user out of one room until a time: no posting, no listening.
CREATE TABLE chat_mutes (
    room       text NOT NULL CHECK (room ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until      timestamptz NOT NULL,
    muted_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    reason     text CHECK (char_length(reason) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room, user_id)
);
CREATE INDEX chat_mutes_user_idx ON chat_mutes (user_id);

-- A stream for PRIME members only; what the host's page shows.
ALTER TABLE live_streams ADD COLUMN prime_only boolean NOT NULL DEFAULT false;
CREATE INDEX live_streams_live_idx ON live_streams (started_at DESC, id DESC) WHERE status = 'live';

COMMIT;
