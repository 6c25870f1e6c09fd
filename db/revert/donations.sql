-- Revert pnptv:donations
BEGIN;
DROP TABLE donation_amounts;
DELETE FROM payment_confirmations WHERE payment_record_id IN (SELECT id FROM payment_records WHERE purpose = 'donation');
UPDATE payment_references SET payment_record_id = NULL WHERE payment_record_id IN (SELECT id FROM payment_records WHERE purpose = 'donation');
UPDATE payment_references SET candidate_record_id = NULL WHERE candidate_record_id IN (SELECT id FROM payment_records WHERE purpose = 'donation');
DELETE FROM payment_records WHERE purpose = 'donation';
DROP INDEX payment_records_donations_idx;
ALTER TABLE payment_records DROP CONSTRAINT payment_records_purpose_fits;
ALTER TABLE payment_records DROP COLUMN donation_message;
ALTER TABLE payment_records DROP COLUMN live_stream_id;
ALTER TABLE payment_records ALTER COLUMN plan_id SET NOT NULL;
ALTER TABLE payment_records DROP COLUMN purpose;
COMMIT;
