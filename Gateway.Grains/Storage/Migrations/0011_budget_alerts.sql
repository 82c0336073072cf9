-- Budget alerts: rules an administrator sets (a team, key or user's spend against a budget for the UTC
-- day or month, thresholds in percent, a webhook), and each threshold crossing, recorded once and
-- delivered at least once. Applied once by MigrationRunner; never edit it: add the next migration.

-- target_id names a team (scope 'team') or a key (scope 'key'; 'user' is a key of kind user, usr_…).
-- No foreign key to teams or api_keys: a rule outlives nothing it points at by accident, and the
-- admin API checks the target when the rule is created. budget_usd null: the key's own daily or
-- monthly budget (a team rule always carries its own).
CREATE TABLE alert_rules (
    rule_id     text PRIMARY KEY,
    name        text NOT NULL DEFAULT '',
    scope       text NOT NULL CHECK (scope IN ('team', 'key', 'user')),
    target_id   text NOT NULL,
    period      text NOT NULL CHECK (period IN ('day', 'month')),
    -- Percent of the budget, ascending, distinct; 100 is "budget reached".
    thresholds  integer[] NOT NULL CHECK (cardinality(thresholds) BETWEEN 1 AND 10),
    budget_usd  numeric(20, 8) CHECK (budget_usd > 0),
    webhook_url text NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX alert_rules_target ON alert_rules (scope, target_id);

-- One row per crossing: the UNIQUE constraint is what makes a crossing recorded once however many
-- silos evaluate the same rule at the same moment (INSERT … ON CONFLICT DO NOTHING). A new period
-- (next UTC day or month) has a new period_start, so it is a new crossing.
-- payload: the webhook body as built when the threshold was crossed (spend and budget of that moment).
-- Delivery state: attempts so far, the last one's HTTP status or error, delivered_at once a webhook
-- answered 2xx (never sent again), abandoned_at when retries ran out (Alerts:GiveUpAfter).
CREATE TABLE alert_deliveries (
    delivery_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         text NOT NULL REFERENCES alert_rules (rule_id) ON DELETE CASCADE,
    period_start    date NOT NULL,
    threshold       integer NOT NULL,
    spend_usd       numeric(20, 8) NOT NULL,
    budget_usd      numeric(20, 8) NOT NULL,
    crossed_at      timestamptz NOT NULL,
    payload         text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    abandoned_at    timestamptz,
    UNIQUE (rule_id, period_start, threshold)
);

-- The deliverer's claim query: pending rows due now, oldest first.
CREATE INDEX alert_deliveries_pending ON alert_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;
