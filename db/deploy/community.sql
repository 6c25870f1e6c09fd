-- Deploy pnptv:community — the social feed, chat and live streams.
BEGIN;

CREATE TABLE follows (
    follower_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followed_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (follower_id, followed_id),
    CHECK (follower_id <> followed_id)
);
CREATE INDEX follows_followed_idx ON follows (followed_id);

CREATE TABLE social_posts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    media_url  text CHECK (char_length(media_url) <= 2048),
    visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members', 'prime')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX social_posts_user_idx ON social_posts (user_id, created_at);
CREATE INDEX social_posts_created_at_idx ON social_posts (created_at) WHERE deleted_at IS NULL;
CREATE TRIGGER social_posts_updated_at BEFORE UPDATE ON social_posts FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE post_likes (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id    bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, post_id)
);
CREATE INDEX post_likes_post_idx ON post_likes (post_id);

CREATE TABLE post_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint NOT NULL REFERENCES social_posts (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX post_comments_post_idx ON post_comments (post_id, created_at);
CREATE INDEX post_comments_user_idx ON post_comments (user_id);

CREATE TABLE chat_messages (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    room       text NOT NULL CHECK (room ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX chat_messages_room_idx ON chat_messages (room, created_at);
CREATE INDEX chat_messages_user_idx ON chat_messages (user_id);

CREATE TABLE live_streams (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     text NOT NULL UNIQUE CHECK (channel ~ '^[A-Za-z0-9_-]{1,64}$'),
    title       text CHECK (char_length(title) <= 200),
    status      text NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'ended')),
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    viewer_peak integer NOT NULL DEFAULT 0 CHECK (viewer_peak >= 0),
    CHECK ((status = 'ended') = (ended_at IS NOT NULL))
);
-- A host is live in at most one stream at a time.
CREATE UNIQUE INDEX live_streams_one_live_idx ON live_streams (host_id) WHERE status = 'live';
CREATE INDEX live_streams_started_at_idx ON live_streams (started_at);

COMMIT;
