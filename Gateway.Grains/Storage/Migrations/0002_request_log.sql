-- The per-request audit log: metadata only, never message text or secrets. One row per request,
-- written by the fronts in batches (binary COPY through a staging table, idempotent by request id).
-- Partitioned by UTC day so old days can be dropped or shipped to a warehouse in one statement;
-- ensure_request_log_partition() creates a day's partition, the writers call it ahead of time.

CREATE TABLE request_log (
    at                      timestamptz NOT NULL,
    request_id              text NOT NULL,
    key_id                  text,
    team_id                 text,
    billing_tag             text,
    session_id              text,
    agent_id                text,
    parent_agent_id         text,
    model_requested         text NOT NULL,
    model_served            text,
    provider                text NOT NULL DEFAULT 'anthropic',
    upstream_key_id         text,
    endpoint                text NOT NULL,
    status                  integer NOT NULL,
    error_type              text,
    stream                  boolean NOT NULL DEFAULT false,
    input_tokens            bigint NOT NULL DEFAULT 0,
    output_tokens           bigint NOT NULL DEFAULT 0,
    cache_creation_tokens   bigint NOT NULL DEFAULT 0,
    cache_read_tokens       bigint NOT NULL DEFAULT 0,
    cost_usd                numeric(20, 8) NOT NULL DEFAULT 0,
    cache_savings_usd       numeric(20, 8) NOT NULL DEFAULT 0,
    latency_ms              double precision NOT NULL,
    ttfb_ms                 double precision,
    tool_call_count         integer NOT NULL DEFAULT 0,
    tool_names              text[] NOT NULL DEFAULT '{}',
    cache_breakpoints       integer NOT NULL DEFAULT 0,
    prompt_prefix_hash      text,
    request_bytes           integer NOT NULL DEFAULT 0,
    user_agent              text,
    attempts                integer NOT NULL DEFAULT 1,
    PRIMARY KEY (at, request_id)
) PARTITION BY RANGE (at);

-- Rows for a day with no partition yet land here rather than failing the write.
CREATE TABLE request_log_default PARTITION OF request_log DEFAULT;

CREATE INDEX request_log_key_at ON request_log (key_id, at);
CREATE INDEX request_log_session ON request_log (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX request_log_prefix ON request_log (prompt_prefix_hash) WHERE prompt_prefix_hash IS NOT NULL;

-- Creates the partition for the UTC day containing d (request_log_YYYYMMDD) if it is missing.
CREATE FUNCTION ensure_request_log_partition(d date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text := format('request_log_%s', to_char(d, 'YYYYMMDD'));
BEGIN
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF request_log FOR VALUES FROM (%L) TO (%L)',
                       name, (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
    END IF;
END;
$$;

-- Drops whole days older than keep_days (after shipping them elsewhere if wanted); returns how many.
CREATE FUNCTION drop_request_log_partitions_before(keep_days integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'request_log'::regclass AND c.relname ~ '^request_log_[0-9]{8}$'
          AND to_date(substring(c.relname from 13), 'YYYYMMDD') < (now() AT TIME ZONE 'UTC')::date - keep_days
    LOOP
        EXECUTE format('DROP TABLE %I', part.relname);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$;
