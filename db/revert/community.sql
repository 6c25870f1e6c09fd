-- Revert pnptv:community
BEGIN;
DROP TABLE live_streams;
DROP TABLE chat_messages;
DROP TABLE post_comments;
DROP TABLE post_likes;
DROP TABLE social_posts;
DROP TABLE follows;
COMMIT;
