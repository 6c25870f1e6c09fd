-- Deploy pnptv:seed_plans — the plans PNPtv sells (DESIGN.md, Seed data).
BEGIN;
INSERT INTO plans (id, name, price, currency, duration_days, tier, active) VALUES
    ('prime-monthly-usd', 'PRIME (30 days)', 10.00, 'USD', 30, 'prime', true),
    ('prime-monthly-cop', 'PRIME (30 días)', 40000, 'COP', 30, 'prime', true),
    ('prime-lifetime-usd', 'PRIME Lifetime', 99.00, 'USD', NULL, 'prime', true)
ON CONFLICT (id) DO UPDATE
    SET name = EXCLUDED.name, price = EXCLUDED.price, currency = EXCLUDED.currency,
        duration_days = EXCLUDED.duration_days, tier = EXCLUDED.tier, active = EXCLUDED.active;
COMMIT;
