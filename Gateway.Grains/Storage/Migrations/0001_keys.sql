-- Teams, virtual keys, and the durable spend and bucket levels of each key.
-- Applied once, in its own transaction, by MigrationRunner; never edit an applied migration: add 0002_….

-- A team owns keys; its billing tag is the default for every key it owns.
CREATE TABLE teams (
    team_id     text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    billing_tag text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A virtual key. Only the SHA-256 of the secret is stored (lowercase hex), and its first characters
-- so an administrator can recognise it. Null limits mean unlimited.
CREATE TABLE api_keys (
    key_id                   text PRIMARY KEY,
    team_id                  text NOT NULL REFERENCES teams (team_id),
    name                     text NOT NULL DEFAULT '',
    -- Overrides the team's billing tag; null: the team's.
    billing_tag              text,
    secret_hash              text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    secret_prefix            text NOT NULL,
    -- Model names or globs; empty allows every model.
    allowed_models           text[] NOT NULL DEFAULT '{}',
    requests_per_minute      bigint CHECK (requests_per_minute >= 0),
    input_tokens_per_minute  bigint CHECK (input_tokens_per_minute >= 0),
    output_tokens_per_minute bigint CHECK (output_tokens_per_minute >= 0),
    concurrent_streams       integer CHECK (concurrent_streams >= 0),
    daily_budget_usd         numeric CHECK (daily_budget_usd >= 0),
    monthly_budget_usd       numeric CHECK (monthly_budget_usd >= 0),
    session_max_requests     bigint CHECK (session_max_requests >= 0),
    session_max_cost_usd     numeric CHECK (session_max_cost_usd >= 0),
    created_at               timestamptz NOT NULL DEFAULT now(),
    rotated_at               timestamptz,
    revoked_at               timestamptz
);

CREATE INDEX api_keys_team_id ON api_keys (team_id);

-- Spend per key and UTC day; a month's spend is the sum of its days.
-- No foreign key to api_keys on purpose: spend arrives off the response path, and a billing row
-- must never be lost to a constraint.
CREATE TABLE key_spend (
    key_id    text NOT NULL,
    day       date NOT NULL,
    spent_usd numeric(20, 8) NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);

-- Settlement batches already counted: a retried batch (same id) adds nothing.
-- Old rows may be pruned by applied_at once no retry can still arrive (hours, not days).
CREATE TABLE settlement_batches (
    batch_id   uuid PRIMARY KEY,
    key_id     text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX settlement_batches_applied_at ON settlement_batches (applied_at);

-- The last saved token-bucket levels of each key; null: that bucket was full or unlimited.
CREATE TABLE key_buckets (
    key_id        text PRIMARY KEY,
    requests      double precision,
    input_tokens  double precision,
    output_tokens double precision,
    at            timestamptz NOT NULL
);
