-- Verify pnptv:payment_references
SELECT provider_ref, source, claim_payload, candidate_record_id, payment_record_id, state, state_code,
       granted_subscription_id, granted_days, due_at, recheck, attempts, not_found,
       claimed_until, checked_at, last_error, first_seen_at, updated_at
  FROM payment_references WHERE false;
SELECT dated_ends_at, lifetime_grants FROM subscriptions WHERE false;
