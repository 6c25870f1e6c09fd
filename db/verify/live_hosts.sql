-- Verify pnptv:live_hosts
SELECT 1 / (position('stops_hosting' IN prosrc) > 0)::int FROM pg_proc WHERE proname = 'close_lost_access';
