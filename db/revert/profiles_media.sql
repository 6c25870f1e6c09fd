-- Revert pnptv:profiles_media
BEGIN;
DROP TABLE videos;
CREATE INDEX follows_followed_idx ON follows (followed_id);
DROP INDEX follows_followers_page_idx;
DROP INDEX follows_following_page_idx;
CREATE INDEX post_comments_post_idx ON post_comments (post_id, created_at);
DROP INDEX post_comments_page_idx;
CREATE INDEX social_posts_created_at_idx ON social_posts (created_at) WHERE deleted_at IS NULL;
DROP INDEX social_posts_feed_idx;
ALTER TABLE social_posts DROP COLUMN image;
DELETE FROM users WHERE telegram_id IS NULL;
ALTER TABLE users DROP CONSTRAINT users_telegram_id_or_deleted, ALTER COLUMN telegram_id SET NOT NULL,
    DROP COLUMN deleted_at, DROP COLUMN avatar, DROP COLUMN display_name;
COMMIT;
