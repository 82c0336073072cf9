-- Views answering the questions teams ask of the usage database (docs/usage-database.md has an
-- example query for each). Plain SQL over usage_minute and session_usage (0003), request_log (0002),
-- api_keys and teams (0001). Applied once by MigrationRunner; never edit it: add the next migration.
--
-- Cheap on big tables: every view over usage_minute or request_log has a `day` (or `month`) column
-- computed with an immutable expression that has an index below. A filter on it (WHERE day >= …)
-- is pushed down through the GROUP BY into the scan and uses that index; always filter by it.
-- No view has a correlated subquery; joins to api_keys and teams (small) are hash joins.
-- Teams and billing tags are the key's *current* ones (api_keys, teams): moving a key to another
-- tag moves its history with it. request_log rows keep the tag and team of their own time.

-- Indexes the views' day and month filters use.
CREATE INDEX usage_minute_day ON usage_minute (((minute AT TIME ZONE 'UTC')::date));
CREATE INDEX usage_minute_month ON usage_minute ((date_trunc('month', minute AT TIME ZONE 'UTC')::date));
CREATE INDEX request_log_day ON request_log (((at AT TIME ZONE 'UTC')::date));
-- top_sessions: the most expensive first, and "active since".
CREATE INDEX session_usage_cost ON session_usage (cost_usd DESC);
CREATE INDEX session_usage_last_seen ON session_usage (last_seen);

-- Spend per team and UTC day / month.
CREATE VIEW spend_by_team_day AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       k.team_id,
       t.name                                 AS team_name,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.tool_calls)::bigint              AS tool_calls
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, k.team_id, t.name;

CREATE VIEW spend_by_team_month AS
SELECT date_trunc('month', u.minute AT TIME ZONE 'UTC')::date AS month,
       k.team_id,
       t.name                                 AS team_name,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.tool_calls)::bigint              AS tool_calls
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, k.team_id, t.name;

-- Spend per billing tag (the key's own, else its team's; null: untagged) and UTC day / month.
CREATE VIEW spend_by_billing_tag_day AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       coalesce(k.billing_tag, t.billing_tag) AS billing_tag,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.tool_calls)::bigint              AS tool_calls
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, 2;

CREATE VIEW spend_by_billing_tag_month AS
SELECT date_trunc('month', u.minute AT TIME ZONE 'UTC')::date AS month,
       coalesce(k.billing_tag, t.billing_tag) AS billing_tag,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.tool_calls)::bigint              AS tool_calls
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, 2;

-- Finance's export (GET /admin/billing/export?month=YYYY-MM): billing tag × team × model per month.
CREATE VIEW billing_export_month AS
SELECT date_trunc('month', u.minute AT TIME ZONE 'UTC')::date AS month,
       coalesce(k.billing_tag, t.billing_tag) AS billing_tag,
       k.team_id,
       t.name                                 AS team_name,
       u.model,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.output_tokens)::bigint           AS output_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, 2, k.team_id, t.name, u.model;

-- The most expensive sessions first (use with LIMIT; the cost index serves it).
CREATE VIEW top_sessions AS
SELECT s.session_id,
       coalesce(s.team_id, k.team_id)         AS team_id,
       t.name                                 AS team_name,
       s.key_id,
       k.name                                 AS key_name,
       s.cost_usd,
       s.cache_savings_usd,
       s.requests,
       s.tool_calls,
       s.input_tokens,
       s.output_tokens,
       s.cache_creation_tokens,
       s.cache_read_tokens,
       s.first_seen,
       s.last_seen,
       s.last_seen - s.first_seen             AS duration
FROM session_usage s
LEFT JOIN api_keys k ON k.key_id = s.key_id
LEFT JOIN teams t ON t.team_id = coalesce(s.team_id, k.team_id)
ORDER BY s.cost_usd DESC;

-- Stable prompt prefixes (tools + system) sent more than once on a UTC day: the cache candidates.
-- A prefix with many requests and input tokens but no cache reads is worth a cache breakpoint.
-- Per day because a prompt cache lives minutes to an hour; sessions are distinct within the day.
CREATE VIEW repeated_prompts AS
SELECT (r.at AT TIME ZONE 'UTC')::date        AS day,
       r.prompt_prefix_hash,
       count(*)                               AS requests,
       count(DISTINCT r.session_id)           AS sessions,
       count(DISTINCT r.key_id)               AS keys,
       sum(r.input_tokens)::bigint            AS input_tokens,
       sum(r.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(r.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(r.input_tokens + r.cache_creation_tokens + r.cache_read_tokens)::bigint AS total_input_tokens,
       count(*) FILTER (WHERE r.cache_read_tokens > 0) AS cache_read_requests,
       bool_or(r.cache_read_tokens > 0)       AS cache_reads_seen,
       sum(r.cost_usd)                        AS cost_usd,
       min(r.at)                              AS first_at,
       max(r.at)                              AS last_at
FROM request_log r
WHERE r.prompt_prefix_hash IS NOT NULL
GROUP BY 1, 2
HAVING count(*) > 1;

-- Which tools each team's requests call, per UTC day (from request_log.tool_names, one element per
-- tool_use block): calls, requests that made at least one, and sessions.
CREATE VIEW tool_call_patterns AS
SELECT (r.at AT TIME ZONE 'UTC')::date        AS day,
       r.team_id,
       tool.name                              AS tool_name,
       count(*)                               AS calls,
       count(DISTINCT r.request_id)           AS requests,
       count(DISTINCT r.session_id)           AS sessions
FROM request_log r
CROSS JOIN LATERAL unnest(r.tool_names) AS tool(name)
GROUP BY 1, 2, 3;

-- Latency and time to first byte per served model and UTC day, in milliseconds. Percentiles are
-- over successful requests (status < 400 and no error event mid-stream), so fast refusals and
-- failures do not flatter them; `errors` counts the rest.
CREATE VIEW latency_by_model AS
SELECT (r.at AT TIME ZONE 'UTC')::date        AS day,
       coalesce(r.model_served, r.model_requested) AS model,
       count(*)                               AS requests,
       count(*) FILTER (WHERE r.status >= 400 OR r.error_type IS NOT NULL) AS errors,
       percentile_cont(0.50) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS latency_p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS latency_p95_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY r.latency_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS latency_p99_ms,
       percentile_cont(0.50) WITHIN GROUP (ORDER BY r.ttfb_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS ttfb_p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY r.ttfb_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS ttfb_p95_ms,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY r.ttfb_ms) FILTER (WHERE r.status < 400 AND r.error_type IS NULL) AS ttfb_p99_ms
FROM request_log r
GROUP BY 1, 2;

-- The time-of-day curve: spend per UTC hour (0–23) and team, per day so a range can be chosen;
-- sum over days grouped by hour_utc for the curve.
CREATE VIEW spend_by_hour_of_day AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       extract(hour FROM u.minute AT TIME ZONE 'UTC')::int AS hour_utc,
       k.team_id,
       t.name                                 AS team_name,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens + u.output_tokens + u.cache_creation_tokens + u.cache_read_tokens)::bigint AS tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, 2, k.team_id, t.name;

-- Money prompt caching saved per key / team and UTC day, versus the same traffic without caching
-- (cost_without_cache_usd = cost_usd + cache_savings_usd). Negative savings: cache writes nobody read.
CREATE VIEW cache_savings_by_key AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       u.key_id,
       k.name                                 AS key_name,
       k.team_id,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.cost_usd + u.cache_savings_usd)  AS cost_without_cache_usd
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
GROUP BY 1, u.key_id, k.name, k.team_id;

CREATE VIEW cache_savings_by_team AS
SELECT (u.minute AT TIME ZONE 'UTC')::date    AS day,
       k.team_id,
       t.name                                 AS team_name,
       sum(u.requests)::bigint                AS requests,
       sum(u.input_tokens)::bigint            AS input_tokens,
       sum(u.cache_creation_tokens)::bigint   AS cache_creation_tokens,
       sum(u.cache_read_tokens)::bigint       AS cache_read_tokens,
       sum(u.cost_usd)                        AS cost_usd,
       sum(u.cache_savings_usd)               AS cache_savings_usd,
       sum(u.cost_usd + u.cache_savings_usd)  AS cost_without_cache_usd
FROM usage_minute u
LEFT JOIN api_keys k ON k.key_id = u.key_id
LEFT JOIN teams t ON t.team_id = k.team_id
GROUP BY 1, k.team_id, t.name;
