-- Verify pnptv:seed_plans
SELECT 1 / (count(*) = 3)::int FROM plans
 WHERE id IN ('prime-monthly-usd', 'prime-monthly-cop', 'prime-lifetime-usd');
