-- Message Batches the gateway created for a virtual key: who owns each one (key, team, billing tag),
-- which upstream credential created it (a batch lives in that upstream organisation and must be read
-- with the same credential), the budget it holds until it is settled, and the settlement state.
-- Applied once by MigrationRunner; never edit it: add the next migration.
--
-- A row with settled_at NULL is an open hold against its key's budget: the key's grain reloads
-- those on activation, and the fronts' sweep claims due rows (next_check_at) to settle them.
CREATE TABLE message_batches (
    batch_id         text PRIMARY KEY,
    key_id           text NOT NULL,
    team_id          text NOT NULL,
    billing_tag      text,
    provider         text NOT NULL,
    upstream_key_id  text NOT NULL,
    request_count    integer NOT NULL,
    reserved_usd     numeric(20, 8) NOT NULL,
    charged_usd      numeric(20, 8),
    status           text NOT NULL,
    created_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    settled_at       timestamptz,
    deleted_at       timestamptz,
    next_check_at    timestamptz NOT NULL
);

-- A team's list, newest first.
CREATE INDEX message_batches_team ON message_batches (team_id, created_at DESC, batch_id DESC);
-- Open holds of a key, and the sweep's work queue.
CREATE INDEX message_batches_open_key ON message_batches (key_id) WHERE settled_at IS NULL;
CREATE INDEX message_batches_due ON message_batches (next_check_at) WHERE settled_at IS NULL;
