-- Verify pnptv:hangouts
SELECT id, owner_id, name, channel, created_at, closed_at FROM hangout_rooms WHERE false;
SELECT room_id, user_id, added_by, via, created_at FROM hangout_members WHERE false;
