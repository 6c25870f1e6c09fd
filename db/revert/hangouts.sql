-- Revert pnptv:hangouts
BEGIN;
DROP TABLE hangout_members;
DROP TABLE hangout_rooms;
COMMIT;
