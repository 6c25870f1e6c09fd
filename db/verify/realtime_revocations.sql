-- Verify pnptv:realtime_revocations
SELECT removed_at FROM hangout_members WHERE false;
SELECT 'close_lost_access()'::regprocedure;
