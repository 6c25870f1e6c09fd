-- Deploy pnptv:payment_references — every ePayco reference (x_ref_payco) we have heard of.
--
-- A confirmation's signature covers neither its state nor the extras that name our records, so
-- the webhook only names a reference: it lands here once (whatever state it claimed) and the
-- verifier asks ePayco's validation endpoint what that reference really is. Only that answer
-- binds the reference to a payment record (payment_record_id) and decides the effect; a record
-- named any other way (the buyer's return with ?ref_payco=…) is kept as a candidate, a hint for
-- the verifier that decides nothing. Each validated approved reference is one purchase, and
-- remembers what it granted (days, or a lifetime) so a reversal takes back exactly that.
--
-- A subscription keeps its dated end apart from its lifetime grants (dated_ends_at,
-- lifetime_grants; ends_at stays what everything else reads: NULL while any lifetime grant
-- holds), so days bought while a lifetime was held count once it is reversed, and days
-- reversed while a lifetime is held are gone when it ends.
BEGIN;

CREATE TABLE payment_references (
    provider_ref            text PRIMARY KEY CHECK (provider_ref ~ '^[A-Za-z0-9_-]{1,64}$'),
    source                  text NOT NULL CHECK (source IN ('webhook', 'return', 'reconciliation')),
    claim_payload           jsonb,        -- the first signed claim as received, without the customer's name and e-mail
    candidate_record_id     bigint REFERENCES payment_records (id),
    payment_record_id       bigint REFERENCES payment_records (id),
    state                   text,         -- ePayco's validated state as last applied (NULL: never validated)
    state_code              integer,
    granted_subscription_id bigint REFERENCES subscriptions (id),  -- set once an approval granted time
    granted_days            integer CHECK (granted_days > 0),         -- NULL with a grant: a lifetime
    -- the verifier's queue: ask ePayco at due_at (NULL: nothing to ask); recheck = a new claim
    -- arrived while a check was in flight; attempts counts tries (for backoff), not_found the
    -- answers that ePayco doesn't know the reference (given up after a few)
    due_at                  timestamptz DEFAULT now(),
    recheck                 boolean NOT NULL DEFAULT false,
    attempts                integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_found               integer NOT NULL DEFAULT 0 CHECK (not_found >= 0),
    claimed_until           timestamptz,
    checked_at              timestamptz,  -- ePayco last answered about it
    last_error              text CHECK (char_length(last_error) <= 500),
    first_seen_at           timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_references_due_idx ON payment_references (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX payment_references_record_idx ON payment_references (payment_record_id) WHERE payment_record_id IS NOT NULL;
CREATE INDEX payment_references_candidate_idx ON payment_references (candidate_record_id) WHERE candidate_record_id IS NOT NULL;
CREATE INDEX payment_references_open_idx ON payment_references (checked_at)
    WHERE due_at IS NULL AND (state IS NULL OR state IN ('pending', 'held', 'started', 'unknown'));
CREATE TRIGGER payment_references_updated_at BEFORE UPDATE ON payment_references
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Wakes the verifier (LISTEN payment_references) as soon as a reference becomes due.
CREATE FUNCTION notify_payment_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('payment_references', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER payment_references_notify AFTER INSERT OR UPDATE OF due_at ON payment_references
    FOR EACH ROW WHEN (NEW.due_at IS NOT NULL) EXECUTE FUNCTION notify_payment_references();

-- The confirmations log now records ePayco's validated answers, from whichever way we learned
-- of the reference; a mismatch is logged against no record.
ALTER TABLE payment_confirmations DROP CONSTRAINT payment_confirmations_source_check;
ALTER TABLE payment_confirmations ADD CONSTRAINT payment_confirmations_source_check
    CHECK (source IN ('webhook', 'reconciliation', 'return'));

ALTER TABLE subscriptions ADD COLUMN dated_ends_at timestamptz;
ALTER TABLE subscriptions ADD COLUMN lifetime_grants integer NOT NULL DEFAULT 0 CHECK (lifetime_grants >= 0);
UPDATE subscriptions SET dated_ends_at = ends_at, lifetime_grants = CASE WHEN ends_at IS NULL THEN 1 ELSE 0 END;

-- What the earlier code recorded, carried over. Its decided payments (approved, or final) become
-- references in that state, an approval with the grant its plan gave (so a later reversal takes
-- it back); its open ones become candidates, due for a check — the earlier code set provider_ref
-- from claims ePayco had not backed.
INSERT INTO payment_references (provider_ref, source, payment_record_id, state, state_code,
                                granted_subscription_id, granted_days, due_at, checked_at)
SELECT p.provider_ref, 'reconciliation', p.id, p.state, p.state_code,
       CASE WHEN p.state = 'approved' THEN (SELECT s.id FROM subscriptions s WHERE s.user_id = p.user_id
                                             ORDER BY s.status = 'active' DESC, s.id DESC LIMIT 1) END,
       CASE WHEN p.state = 'approved' THEN pl.duration_days END, NULL, now()
  FROM payment_records p JOIN plans pl ON pl.id = p.plan_id
 WHERE p.provider_ref ~ '^[A-Za-z0-9_-]{1,64}$' AND p.state NOT IN ('pending', 'held', 'started')
ON CONFLICT (provider_ref) DO NOTHING;
INSERT INTO payment_references (provider_ref, source, candidate_record_id)
SELECT provider_ref, 'reconciliation', id FROM payment_records
 WHERE provider_ref ~ '^[A-Za-z0-9_-]{1,64}$' AND state IN ('pending', 'held', 'started')
ON CONFLICT (provider_ref) DO NOTHING;
UPDATE payment_records SET provider_ref = NULL WHERE state IN ('pending', 'held', 'started');

COMMIT;
