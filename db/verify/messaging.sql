-- Verify pnptv:messaging
SELECT update_id, kind, outcome, received_at FROM telegram_updates WHERE false;
SELECT id, kind, user_id, payload, dedupe_key, attempts, next_attempt_at, claimed_until, delivered_at, dead_at,
       last_error, created_at
  FROM outbox WHERE false;
SELECT has_function_privilege('notify_outbox()', 'execute');
