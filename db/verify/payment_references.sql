-- Verify pnptv:payment_references
SELECT provider_ref, source, claim_payload, candidate_record_id, payment_record_id, state, state_code,
       granted_subscription_id, granted_effect, granted_days, ends_before, due_at, recheck, attempts,
       claimed_until, checked_at, last_error, first_seen_at, updated_at
  FROM payment_references WHERE false;
