-- Verify pnptv:billing
SELECT id, name, price, currency, duration_days, tier, active, created_at FROM plans WHERE false;
SELECT id, invoice, user_id, plan_id, amount, currency, state, state_code, provider, provider_ref,
       provider_session_id, flagged_at, flag_reason, approved_at, created_at, updated_at
  FROM payment_records WHERE false;
SELECT id, provider_ref, state_code, payment_record_id, source, raw_payload, outcome, received_at
  FROM payment_confirmations WHERE false;
SELECT id, user_id, plan_id, payment_record_id, status, starts_at, ends_at, reminder_sent_at, created_at, updated_at
  FROM subscriptions WHERE false;
