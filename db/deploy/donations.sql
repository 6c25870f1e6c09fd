-- Deploy pnptv:donations to pg
-- A viewer tips a live stream's host through the same ePayco checkout and verified-confirmation
-- core as a subscription: a payment record whose purpose is a donation (no plan), for a stream,
-- with an optional short message; only a few fixed amounts per currency.
BEGIN;

ALTER TABLE payment_records ADD COLUMN purpose text NOT NULL DEFAULT 'subscription' CHECK (purpose IN ('subscription', 'donation'));
ALTER TABLE payment_records ALTER COLUMN plan_id DROP NOT NULL;
ALTER TABLE payment_records ADD COLUMN live_stream_id bigint REFERENCES live_streams (id) ON DELETE SET NULL;
ALTER TABLE payment_records ADD COLUMN donation_message text CHECK (char_length(donation_message) <= 140);
-- A subscription names its plan; a donation its stream when made (the stream may go later).
ALTER TABLE payment_records ADD CONSTRAINT payment_records_purpose_fits CHECK (
    (purpose = 'subscription' AND plan_id IS NOT NULL AND live_stream_id IS NULL AND donation_message IS NULL)
    OR (purpose = 'donation' AND plan_id IS NULL));
CREATE INDEX payment_records_donations_idx ON payment_records (live_stream_id) WHERE purpose = 'donation' AND state = 'approved';

CREATE TABLE donation_amounts (
    currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount   numeric(12, 2) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (currency, amount)
);
INSERT INTO donation_amounts (currency, amount) VALUES
    ('USD', 2), ('USD', 5), ('USD', 10), ('USD', 20),
    ('COP', 5000), ('COP', 10000), ('COP', 20000), ('COP', 50000);

COMMIT;
