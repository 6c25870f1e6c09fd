-- Verify pnptv:profiles_media
SELECT display_name, avatar, deleted_at FROM users WHERE false;
SELECT image FROM social_posts WHERE false;
SELECT id, title, description_en, description_es, duration_seconds, poster, category, prime_only, file_path,
       published_at, created_by FROM videos WHERE false;
