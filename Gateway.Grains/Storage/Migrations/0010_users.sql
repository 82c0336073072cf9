-- People signed in through the company's identity provider (Gateway.Front/Identity), stored as virtual
-- keys of kind 'user': the same api_keys row, so grains, leases, budgets, sessions and audit treat a
-- person exactly as a key. Applied once by MigrationRunner; never edit it: add the next migration.
--
-- A user key's secret_hash is the SHA-256 of random bytes nobody holds: no secret can present it. The
-- gateway's signed tokens carry it as the lookup hash (what the key directory caches and invalidates).
-- Constant defaults and nullable columns: adding them rewrites no row.
ALTER TABLE api_keys
    ADD COLUMN kind text NOT NULL DEFAULT 'key' CONSTRAINT api_keys_kind_check CHECK (kind IN ('key', 'user')),
    ADD COLUMN user_issuer text,
    ADD COLUMN user_subject text,
    ADD COLUMN user_name text,
    -- True once an administrator set this user's limits (PATCH /admin/keys/{id}): sign-ins stop applying the team's policy.
    ADD COLUMN user_limits_overridden boolean NOT NULL DEFAULT false,
    ADD COLUMN user_last_seen_at timestamptz,
    ADD CONSTRAINT api_keys_user_identity_check CHECK (kind = 'key' OR (user_issuer IS NOT NULL AND user_subject IS NOT NULL));

-- One key per person and issuer (the key id is derived from both, this says it to the database too).
CREATE UNIQUE INDEX api_keys_user_identity ON api_keys (user_issuer, user_subject) WHERE kind = 'user';

-- The person behind a request: the user key's id (null for a plain key's request).
ALTER TABLE request_log ADD COLUMN user_id text;

CREATE INDEX request_log_user_at ON request_log (user_id, at) WHERE user_id IS NOT NULL;

-- Spend per signed-in person and UTC day (plain keys are in the key and team views).
CREATE VIEW spend_by_user_day AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       k.key_id                               AS user_id,
       k.user_name,
       k.user_issuer,
       k.team_id,
       t.name                                 AS team_name,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd
FROM usage_minute u
JOIN api_keys k ON k.key_id = u.key_id AND k.kind = 'user'
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, k.key_id, k.user_name, k.user_issuer, k.team_id, t.name;
