-- Deploy pnptv:core — people and the audit trail.
BEGIN;

CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id     bigint NOT NULL UNIQUE CHECK (telegram_id > 0),
    username        text CHECK (char_length(username) BETWEEN 1 AND 64),
    first_name      text NOT NULL DEFAULT '' CHECK (char_length(first_name) <= 256),
    last_name       text CHECK (char_length(last_name) <= 256),
    photo_url       text CHECK (char_length(photo_url) <= 2048),
    email           text CHECK (char_length(email) <= 254 AND position('@' IN email) > 1),
    language        text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es')),
    role            text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    tier            text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'prime')),
    bio             text CHECK (char_length(bio) <= 500),
    visibility      text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'members', 'private')),
    age_verified_at timestamptz,
    banned_at       timestamptz,
    ban_reason      text CHECK (char_length(ban_reason) <= 500),
    unreachable_at  timestamptz,  -- the user blocked the bot: send nothing more on Telegram
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE INDEX users_username_idx ON users (lower(username));
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,  -- NULL: the system or an operator's shell
    action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
    subject_type  text CHECK (char_length(subject_type) <= 64),
    subject_id    text CHECK (char_length(subject_id) <= 128),
    details       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id);

COMMIT;
