-- Revert pnptv:seed_plans — plans already referenced by payments stay (deactivated), the rest go.
BEGIN;
UPDATE plans SET active = false
 WHERE id IN ('prime-monthly-usd', 'prime-monthly-cop', 'prime-lifetime-usd');
DELETE FROM plans
 WHERE id IN ('prime-monthly-usd', 'prime-monthly-cop', 'prime-lifetime-usd')
   AND NOT EXISTS (SELECT 1 FROM payment_records p WHERE p.plan_id = plans.id)
   AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.plan_id = plans.id);
COMMIT;
