-- Revert pnptv:payment_references
BEGIN;
ALTER TABLE payment_confirmations DROP CONSTRAINT payment_confirmations_source_check;
ALTER TABLE payment_confirmations ADD CONSTRAINT payment_confirmations_source_check
    CHECK (source IN ('webhook', 'reconciliation'));
DROP TABLE payment_references;
ALTER TABLE subscriptions DROP COLUMN dated_ends_at, DROP COLUMN lifetime_grants;
DROP FUNCTION notify_payment_references();
COMMIT;
