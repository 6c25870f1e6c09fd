-- Verify pnptv:live_notices
SELECT notices_sent_at FROM live_streams WHERE false;
