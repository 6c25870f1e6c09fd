-- Deploy pnptv:profiles_media — what a person sets on their profile (kept apart from what
-- Telegram tells us, which every login and bot message refreshes), account deletion, uploaded
-- images by content hash, the indexes keyset pagination walks, and the Videorama catalogue.
BEGIN;

-- display_name, avatar: the user's own; first_name, username, photo_url: Telegram's.
-- avatar and image columns hold the SHA-256 (hex) of the stored file: its name under the uploads
-- root (docs/architecture.md, "Uploads").
ALTER TABLE users
    ADD COLUMN display_name text CHECK (char_length(display_name) BETWEEN 1 AND 64),
    ADD COLUMN avatar       text CHECK (avatar ~ '^[0-9a-f]{64}$'),
    ADD COLUMN deleted_at   timestamptz,
    ALTER COLUMN telegram_id DROP NOT NULL,
    -- A deleted account keeps its row (payment history points at it) but not its Telegram id, so
    -- the same person coming back is a new account.
    ADD CONSTRAINT users_telegram_id_or_deleted CHECK (telegram_id IS NOT NULL OR deleted_at IS NOT NULL);

ALTER TABLE social_posts ADD COLUMN image text CHECK (image ~ '^[0-9a-f]{64}$');
-- The feed: newest first over (created_at, id).
DROP INDEX social_posts_created_at_idx;
CREATE INDEX social_posts_feed_idx ON social_posts (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX post_comments_page_idx ON post_comments (post_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
DROP INDEX post_comments_post_idx;
-- Followers and following lists, newest first.
CREATE INDEX follows_followers_page_idx ON follows (followed_id, created_at DESC, follower_id DESC);
CREATE INDEX follows_following_page_idx ON follows (follower_id, created_at DESC, followed_id DESC);
DROP INDEX follows_followed_idx;

CREATE TABLE videos (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description_en   text NOT NULL DEFAULT '' CHECK (char_length(description_en) <= 5000),
    description_es   text NOT NULL DEFAULT '' CHECK (char_length(description_es) <= 5000),
    duration_seconds integer NOT NULL DEFAULT 0 CHECK (duration_seconds BETWEEN 0 AND 86400),
    poster           text CHECK (poster ~ '^[0-9a-f]{64}$'),
    category         text NOT NULL CHECK (category ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
    prime_only       boolean NOT NULL DEFAULT true,
    -- Relative to the media root; never absolute, never climbing out of it.
    file_path        text NOT NULL CHECK (file_path ~ '^[A-Za-z0-9_-][A-Za-z0-9._/-]{0,254}$'
                                          AND position('..' IN file_path) = 0 AND position('//' IN file_path) = 0),
    published_at     timestamptz,  -- NULL: not published
    created_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX videos_published_idx ON videos (published_at DESC, id DESC) WHERE published_at IS NOT NULL;
CREATE INDEX videos_category_idx ON videos (category, published_at DESC, id DESC) WHERE published_at IS NOT NULL;
-- release_image asks whether any row still names a file.
CREATE INDEX users_avatar_idx ON users (avatar) WHERE avatar IS NOT NULL;
CREATE INDEX social_posts_image_idx ON social_posts (image) WHERE image IS NOT NULL;
CREATE INDEX videos_poster_idx ON videos (poster) WHERE poster IS NOT NULL;
CREATE TRIGGER videos_updated_at BEFORE UPDATE ON videos FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMIT;
