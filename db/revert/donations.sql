-- Revert pnptv:donations
BEGIN;
-- Donations are money: never dropped by a revert.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM payment_records WHERE purpose = 'donation') THEN
        RAISE EXCEPTION 'donation payment records exist: export and settle them before reverting';
    END IF;
END $$;
DROP TABLE donation_amounts;
DROP INDEX payment_records_donations_idx;
ALTER TABLE payment_records DROP CONSTRAINT payment_records_purpose_fits;
ALTER TABLE payment_records DROP COLUMN donation_message;
ALTER TABLE payment_records DROP COLUMN live_stream_id;
ALTER TABLE payment_records ALTER COLUMN plan_id SET NOT NULL;
ALTER TABLE payment_records DROP COLUMN purpose;
COMMIT;
