-- Verify pnptv:chat_live
SELECT room, user_id, until, muted_by, reason, created_at FROM chat_mutes WHERE false;
SELECT prime_only FROM live_streams WHERE false;
SELECT deleted_by FROM chat_messages WHERE false;
