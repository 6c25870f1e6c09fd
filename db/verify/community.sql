-- Verify pnptv:community
SELECT follower_id, followed_id, created_at FROM follows WHERE false;
SELECT id, user_id, body, media_url, visibility, created_at, updated_at, deleted_at FROM social_posts WHERE false;
SELECT user_id, post_id, created_at FROM post_likes WHERE false;
SELECT id, post_id, user_id, body, created_at, deleted_at FROM post_comments WHERE false;
SELECT id, room, user_id, body, created_at, deleted_at FROM chat_messages WHERE false;
SELECT id, host_id, channel, title, status, started_at, ended_at, viewer_peak FROM live_streams WHERE false;
