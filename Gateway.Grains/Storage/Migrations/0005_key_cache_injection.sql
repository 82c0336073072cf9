-- Per-key switch and TTL for server-side prompt-cache injection (docs/cache-injection.md).
-- Applied once by MigrationRunner; never edit it: add the next migration.
--
-- Both columns are nullable without a default, so adding them rewrites no row.
--   cache_injection: null follows the gateway's CacheInjection:Enabled; true/false overrides it for the key.
--   cache_ttl:       null follows CacheInjection:Ttl; '5m' or '1h' overrides the TTL of the markers added.
ALTER TABLE api_keys
    ADD COLUMN cache_injection boolean,
    ADD COLUMN cache_ttl text CONSTRAINT api_keys_cache_ttl_check CHECK (cache_ttl IN ('5m', '1h'));
