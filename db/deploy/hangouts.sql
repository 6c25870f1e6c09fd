-- Deploy pnptv:hangouts to pg
-- Video rooms that belong to their creator; others are members through an invitation.
BEGIN;

CREATE TABLE hangout_rooms (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    channel    text NOT NULL UNIQUE CHECK (channel ~ '^hangout-[a-f0-9]{16}$'),  -- Agora's; unguessable
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz
);
-- One open room per name per owner: /hangout friday twice is the same room.
CREATE UNIQUE INDEX hangout_rooms_open_name_idx ON hangout_rooms (owner_id, name) WHERE closed_at IS NULL;

CREATE TABLE hangout_members (
    room_id    bigint NOT NULL REFERENCES hangout_rooms (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    via        text NOT NULL CHECK (via IN ('owner', 'invite', 'admitted')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX hangout_members_user_idx ON hangout_members (user_id);

COMMIT;
