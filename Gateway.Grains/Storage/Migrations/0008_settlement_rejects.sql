-- Charges settlement refused for good (a Postgres data exception, or another error no retry can fix),
-- isolated from their batch so the key's other charges landed: one row each, for an operator to
-- look at and bill by hand. Identifiers and the reason only, never message text; the reason is the
-- SQLSTATE and the error's own words, capped.

CREATE TABLE settlement_rejects (
    at              timestamptz NOT NULL DEFAULT now(),
    key_id          text NOT NULL,
    request_id      text NOT NULL,
    cost_usd        numeric(20, 8) NOT NULL DEFAULT 0,
    reason          text NOT NULL
);

CREATE INDEX settlement_rejects_key_at ON settlement_rejects (key_id, at);
