-- Verify pnptv:broadcasts
SELECT id, created_by, text, tier, language, recipients, created_at FROM broadcasts WHERE false;
SELECT broadcast_id FROM outbox WHERE false;
