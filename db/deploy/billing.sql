-- Deploy pnptv:billing — what we sell, what people paid, and what that bought them.
-- Money is numeric(12,2) with an ISO currency code, never a float.
BEGIN;

CREATE TABLE plans (
    id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    price         numeric(12, 2) NOT NULL CHECK (price > 0),
    currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    duration_days integer CHECK (duration_days > 0),  -- NULL: lifetime, no end date
    tier          text NOT NULL DEFAULT 'prime' CHECK (tier IN ('prime')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- States follow ePayco's x_cod_transaction_state (protocols.md §5); 'pending' is where we start.
CREATE TABLE payment_records (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice             text NOT NULL UNIQUE CHECK (invoice ~ '^[A-Za-z0-9-]{1,64}$'),
    user_id             bigint NOT NULL REFERENCES users (id),
    plan_id             text NOT NULL REFERENCES plans (id),
    amount              numeric(12, 2) NOT NULL CHECK (amount > 0),
    currency            char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    state               text NOT NULL DEFAULT 'pending' CHECK (state IN (
                            'pending', 'approved', 'declined', 'failed', 'reversed', 'held', 'started',
                            'expired', 'abandoned', 'cancelled', 'antifraud')),
    state_code          integer,          -- the last ePayco state code applied
    provider            text NOT NULL DEFAULT 'epayco' CHECK (provider IN ('epayco')),
    provider_ref        text CHECK (char_length(provider_ref) <= 64),   -- x_ref_payco
    provider_session_id text CHECK (char_length(provider_session_id) <= 128),
    flagged_at          timestamptz,      -- needs an admin's eyes (mismatch, unknown state, reversal)
    flag_reason         text CHECK (char_length(flag_reason) <= 500),
    approved_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((flagged_at IS NULL) = (flag_reason IS NULL))
);
CREATE INDEX payment_records_user_idx ON payment_records (user_id, created_at);
CREATE INDEX payment_records_created_at_idx ON payment_records (created_at);
CREATE INDEX payment_records_provider_ref_idx ON payment_records (provider_ref);
CREATE INDEX payment_records_pending_idx ON payment_records (created_at) WHERE state IN ('pending', 'held', 'started');
CREATE INDEX payment_records_flagged_idx ON payment_records (flagged_at) WHERE flagged_at IS NOT NULL;
CREATE TRIGGER payment_records_updated_at BEFORE UPDATE ON payment_records
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per distinct confirmation: ePayco may send the same (reference, state) many times.
CREATE TABLE payment_confirmations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_ref      text NOT NULL CHECK (char_length(provider_ref) BETWEEN 1 AND 64),
    state_code        integer NOT NULL,
    payment_record_id bigint REFERENCES payment_records (id),
    source            text NOT NULL DEFAULT 'webhook' CHECK (source IN ('webhook', 'reconciliation')),
    raw_payload       jsonb NOT NULL,
    outcome           text NOT NULL CHECK (char_length(outcome) <= 64),
    received_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider_ref, state_code)
);
CREATE INDEX payment_confirmations_record_idx ON payment_confirmations (payment_record_id);
CREATE INDEX payment_confirmations_received_at_idx ON payment_confirmations (received_at);

CREATE TABLE subscriptions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id           text NOT NULL REFERENCES plans (id),
    payment_record_id bigint REFERENCES payment_records (id),
    status            text NOT NULL CHECK (status IN ('active', 'expired', 'revoked', 'cancelled')),
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz,  -- NULL: lifetime
    reminder_sent_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at IS NULL OR ends_at > starts_at)
);
-- At most one active subscription per user: a new payment extends it rather than stacking.
CREATE UNIQUE INDEX subscriptions_one_active_idx ON subscriptions (user_id) WHERE status = 'active';
CREATE INDEX subscriptions_user_idx ON subscriptions (user_id, created_at);
CREATE INDEX subscriptions_due_idx ON subscriptions (ends_at) WHERE status = 'active' AND ends_at IS NOT NULL;
CREATE TRIGGER subscriptions_updated_at BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

COMMIT;
