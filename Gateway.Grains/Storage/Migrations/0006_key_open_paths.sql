-- Per-key open paths: /v1 paths beyond the metered endpoints that an administrator opened for one
-- key, knowingly unmetered (docs/admin-api.md, "Open paths"). Every other /v1 path is refused.
-- Applied once by MigrationRunner; never edit it: add the next migration.
--
-- A constant default adds the column without rewriting a row. Entries are checked by the admin API
-- and both key stores (OpenPaths.Problem); the database bounds the count as a backstop.
ALTER TABLE api_keys
    ADD COLUMN open_paths text[] NOT NULL DEFAULT '{}'
        CONSTRAINT api_keys_open_paths_check CHECK (cardinality(open_paths) <= 32);
