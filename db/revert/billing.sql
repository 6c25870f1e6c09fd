-- Revert pnptv:billing
BEGIN;
DROP TABLE subscriptions;
DROP TABLE payment_confirmations;
DROP TABLE payment_records;
DROP TABLE plans;
COMMIT;
