-- Revert pnptv:payment_references
BEGIN;
ALTER TABLE payment_confirmations DROP CONSTRAINT payment_confirmations_source_check;
ALTER TABLE payment_confirmations ADD CONSTRAINT payment_confirmations_source_check
    CHECK (source IN ('webhook', 'reconciliation'));
DROP TABLE payment_references;
DROP FUNCTION notify_payment_references();
COMMIT;
