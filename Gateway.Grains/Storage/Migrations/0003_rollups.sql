-- Rollups written by the grains: usage per key × model × UTC minute, and per session.
-- Applied once, in its own transaction, by MigrationRunner; never edit an applied migration: add the next one.

-- Written by ApiKeyGrain on every settlement, in the same statement (so the same transaction) as the
-- settlement batch id and key_spend: a retried batch adds nothing here either. Money is priced per
-- request and rounded to 8 decimals, so the sum of a key's rows for a day equals its key_spend row
-- (both are counted at settlement: key_spend by the day the batch is applied, these rows by the
-- minute each request ended, so the two can differ only around midnight).
-- No foreign key to api_keys, like key_spend: usage must never be lost to a constraint.
-- fillfactor leaves room for HOT updates: the upserts change only counters, never an indexed column.
CREATE TABLE usage_minute (
    key_id                text NOT NULL,
    model                 text NOT NULL,
    -- A whole UTC minute.
    minute                timestamptz NOT NULL
        CHECK (date_trunc('minute', minute AT TIME ZONE 'UTC') = minute AT TIME ZONE 'UTC'),
    -- Settled requests, including those that failed upstream and used nothing.
    requests              bigint NOT NULL DEFAULT 0,
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens     bigint NOT NULL DEFAULT 0,
    cost_usd              numeric(20, 8) NOT NULL DEFAULT 0,
    -- What the same tokens would have cost uncached minus what they cost (negative: writes never read).
    cache_savings_usd     numeric(20, 8) NOT NULL DEFAULT 0,
    tool_calls            bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, minute)
) WITH (fillfactor = 80);

-- One row per session (X-Claude-Code-Session-Id, else metadata.user_id's session_id), written by
-- SessionGrain with absolute totals (an upsert; a repeated write is harmless) about every second
-- while the session is active and when its grain deactivates; read back when it activates again.
CREATE TABLE session_usage (
    session_id            text PRIMARY KEY,
    key_id                text,
    team_id               text,
    first_seen            timestamptz NOT NULL,
    last_seen             timestamptz NOT NULL,
    requests              bigint NOT NULL DEFAULT 0,
    input_tokens          bigint NOT NULL DEFAULT 0,
    output_tokens         bigint NOT NULL DEFAULT 0,
    cache_creation_tokens bigint NOT NULL DEFAULT 0,
    cache_read_tokens     bigint NOT NULL DEFAULT 0,
    cost_usd              numeric(20, 8) NOT NULL DEFAULT 0,
    cache_savings_usd     numeric(20, 8) NOT NULL DEFAULT 0,
    tool_calls            bigint NOT NULL DEFAULT 0,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
