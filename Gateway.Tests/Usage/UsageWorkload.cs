using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Tests.Usage;

/// <summary>
/// A small, fully known workload in November 2026 (and one request on 1 December), settled through
/// the real grains into Postgres, with request_log rows inserted by plain INSERTs. Every number the
/// views must answer is worked out by hand in <see cref="UsageViewsTests"/> from the figures here.
/// Built-in prices (USD per million tokens; cache write 1.25×, read 0.1× input):
/// sonnet 3 / 15 (write 3.75, read 0.30), haiku-4-5 1 / 5, opus-4-5 5 / 25 (read 0.50).
/// </summary>
public sealed class UsageWorkload
{
    public const string Sonnet = "claude-sonnet-4-5";
    public const string Haiku = "claude-haiku-4-5";
    public const string Opus = "claude-opus-4-5";

    /// <summary>A key no api_keys row knows: its usage must still be counted (team and tag null).</summary>
    public const string GhostKey = "key_ghost0000000";

    public required TeamRecord Alpha { get; init; }
    public required TeamRecord Beta { get; init; }

    /// <summary>Alpha's key under the team's tag (cc-100).</summary>
    public required string A1 { get; init; }

    /// <summary>Alpha's key with a tag of its own (cc-200).</summary>
    public required string A2 { get; init; }

    /// <summary>Beta's key; Beta has no tag.</summary>
    public required string B1 { get; init; }

    public required SettlementBatch FirstBatch { get; init; }

    public static DateTimeOffset Utc(int month, int day, int hour, int minute, int second = 0) =>
        new(2026, month, day, hour, minute, second, TimeSpan.Zero);

    public static async Task<UsageWorkload> SeedAsync(UsageClusterFixture fixture)
    {
        var keys = fixture.Keys;
        var alpha = await keys.CreateTeamAsync(new NewTeam("Alpha", "cc-100"));
        // A comma and a quote, so the CSV export has to quote the name.
        var beta = await keys.CreateTeamAsync(new NewTeam("Beta, \"Inc.\"", null));
        var a1 = await NewKeyAsync(keys, alpha.TeamId, "a1", null);
        var a2 = await NewKeyAsync(keys, alpha.TeamId, "a2", "cc-200");
        var b1 = await NewKeyAsync(keys, beta.TeamId, "b1", null);

        var first = new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges =
            [
                // 0.018 = (1000×3 + 500×15 + 2000×3.75)/1e6; savings −2000×(3.75−3)/1e6 = −0.0015.
                Charge("r1", Sonnet, Utc(11, 3, 9, 15, 10), input: 1000, output: 500, cacheWrite: 2000, cacheRead: 0, tools: 2, session: "s-1"),
                // 0.0027 = (200×3 + 100×15 + 2000×0.3)/1e6; savings 2000×(3−0.3)/1e6 = 0.0054.
                Charge("r2", Sonnet, Utc(11, 3, 9, 15, 40), input: 200, output: 100, cacheWrite: 0, cacheRead: 2000, tools: 1, session: "s-1"),
                // 0.015 = (10000×1 + 1000×5)/1e6.
                Charge("r3", Haiku, Utc(11, 3, 14, 5, 0), input: 10_000, output: 1000, cacheWrite: 0, cacheRead: 0, tools: 0, session: null),
            ],
        };
        await fixture.Grains.GetGrain<IApiKeyGrain>(a1).SettleAsync(first);
        // The front retries a batch whose answer it lost: it must count once.
        await fixture.Grains.GetGrain<IApiKeyGrain>(a1).SettleAsync(first);

        await fixture.Grains.GetGrain<IApiKeyGrain>(a2).SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            // 0.065 = (2000×5 + 2000×25 + 10000×0.5)/1e6; savings 10000×(5−0.5)/1e6 = 0.045.
            Charges = [Charge("r4", Opus, Utc(11, 4, 23, 59, 30), input: 2000, output: 2000, cacheWrite: 0, cacheRead: 10_000, tools: 5, session: "s-2")],
        });
        await fixture.Grains.GetGrain<IApiKeyGrain>(b1).SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges =
            [
                // 0.45 = (100000×3 + 10000×15)/1e6.
                Charge("r5", Sonnet, Utc(11, 4, 9, 30, 0), input: 100_000, output: 10_000, cacheWrite: 0, cacheRead: 0, tools: 0, session: "s-3"),
                // 0.003 = 1000×3/1e6, in December.
                Charge("r6", Sonnet, Utc(12, 1, 0, 0, 10), input: 1000, output: 0, cacheWrite: 0, cacheRead: 0, tools: 0, session: "s-3"),
            ],
        });
        await fixture.Grains.GetGrain<IApiKeyGrain>(GhostKey).SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            // 0.005 = 1000×5/1e6.
            Charges = [Charge("r7", Haiku, Utc(11, 5, 12, 0, 0), input: 0, output: 1000, cacheWrite: 0, cacheRead: 0, tools: 0, session: null)],
        });

        // Sessions, as the front reports them (s-2 without a team: the view takes the key's).
        await RecordAsync(fixture, "s-1", a1, alpha.TeamId, Utc(11, 3, 9, 15, 10), 1000, 500, 2000, 0, 0.018m, -0.0015m, 2);
        await RecordAsync(fixture, "s-1", a1, alpha.TeamId, Utc(11, 3, 9, 15, 40), 200, 100, 0, 2000, 0.0027m, 0.0054m, 1);
        await RecordAsync(fixture, "s-2", a2, null, Utc(11, 4, 23, 59, 30), 2000, 2000, 0, 10_000, 0.065m, 0.045m, 5);
        await RecordAsync(fixture, "s-3", b1, beta.TeamId, Utc(11, 4, 9, 30, 0), 100_000, 10_000, 0, 0, 0.45m, 0m, 0);
        await RecordAsync(fixture, "s-3", b1, beta.TeamId, Utc(12, 1, 0, 0, 10), 1000, 0, 0, 0, 0.003m, 0m, 0);
        foreach (var session in new[] { "s-1", "s-2", "s-3" })
        {
            // Deactivation writes the totals (the fixture's timer interval is ten minutes).
            await fixture.Cluster.DeactivateAsync(fixture.Grains.GetGrain<ISessionGrain>(session));
        }

        await InsertRequestLogAsync(fixture.DataSource, a1, b1, alpha.TeamId, beta.TeamId);
        return new UsageWorkload { Alpha = alpha, Beta = beta, A1 = a1, A2 = a2, B1 = b1, FirstBatch = first };
    }

    private static async Task<string> NewKeyAsync(PostgresKeyStore keys, string teamId, string name, string? billingTag)
    {
        var secret = KeySecrets.Generate();
        var key = await keys.CreateKeyAsync(new NewKey { TeamId = teamId, Name = name, BillingTag = billingTag },
            KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret));
        return key.KeyId;
    }

    private static UsageCharge Charge(string id, string model, DateTimeOffset at, long input, long output, long cacheWrite, long cacheRead,
        int tools, string? session) => new()
        {
            RequestId = id,
            Model = model,
            InputTokens = input,
            OutputTokens = output,
            CacheCreationInputTokens = cacheWrite,
            CacheReadInputTokens = cacheRead,
            ToolCalls = tools,
            SessionId = session,
            At = at,
        };

    private static Task RecordAsync(UsageClusterFixture fixture, string session, string keyId, string? teamId, DateTimeOffset at,
        long input, long output, long cacheWrite, long cacheRead, decimal cost, decimal savings, int tools) =>
        fixture.Grains.GetGrain<ISessionGrain>(session).RecordAsync(new SessionCharge
        {
            KeyId = keyId,
            TeamId = teamId,
            At = at,
            InputTokens = input,
            OutputTokens = output,
            CacheCreationInputTokens = cacheWrite,
            CacheReadInputTokens = cacheRead,
            CostUsd = cost,
            CacheSavingsUsd = savings,
            ToolCalls = tools,
        });

    /// <summary>
    /// Ten audit rows. 3 November has a partition of its own (as the audit writer makes them); the
    /// other day lands in the default partition. Latencies and hashes are chosen for round answers.
    /// </summary>
    private static async Task InsertRequestLogAsync(NpgsqlDataSource dataSource, string a1, string b1, string alpha, string beta)
    {
        await using (var partition = dataSource.CreateCommand("SELECT ensure_request_log_partition('2026-11-03')"))
        {
            await partition.ExecuteNonQueryAsync();
        }
        var rows = new (string Id, DateTimeOffset At, string Key, string Team, string? Session, string Requested, string? Served,
            int Status, string? Error, long In, long Out, long CacheWrite, long CacheRead, decimal Cost, double Latency, double? Ttfb,
            string[] Tools, string? Hash)[]
        {
            ("q1", Utc(11, 3, 9, 15, 10), a1, alpha, "s-1", Sonnet, Sonnet, 200, null, 1000, 500, 2000, 0, 0.018m, 100, 10, ["Read", "Bash"], "h1"),
            ("q2", Utc(11, 3, 9, 15, 40), a1, alpha, "s-1", Sonnet, Sonnet, 200, null, 200, 100, 0, 2000, 0.0027m, 200, 20, ["Read"], "h1"),
            ("q3", Utc(11, 3, 10, 0, 0), a1, alpha, "s-4", Sonnet, Sonnet, 200, null, 500, 0, 0, 0, 0.0015m, 300, 30, ["Edit", "Read", "Read"], "h1"),
            ("q4", Utc(11, 3, 10, 1, 0), a1, alpha, "s-4", Sonnet, Sonnet, 200, null, 0, 0, 0, 0, 0m, 400, 40, [], "h2"),
            ("q5", Utc(11, 3, 10, 2, 0), a1, alpha, "s-4", Sonnet, Sonnet, 200, null, 300, 0, 0, 0, 0.0009m, 500, null, [], "h2"),
            ("q6", Utc(11, 3, 10, 3, 0), a1, alpha, "s-4", Sonnet, Sonnet, 529, "overloaded_error", 0, 0, 0, 0, 0m, 5000, null, [], "h3"),
            ("q7", Utc(11, 3, 11, 0, 0), a1, alpha, "s-5", Haiku, null, 429, "rate_limit_error", 0, 0, 0, 0, 0m, 1, null, [], null),
            ("q8", Utc(11, 3, 12, 0, 0), b1, beta, null, Haiku, Haiku, 200, null, 100, 0, 0, 0, 0.0001m, 50, 5, ["Bash"], "h3"),
            ("q9", Utc(11, 4, 9, 30, 0), b1, beta, "s-3", Sonnet, Sonnet, 200, null, 100_000, 10_000, 0, 0, 0.45m, 1000, 100, ["Bash", "Bash"], "h1"),
            ("q10", Utc(11, 4, 9, 31, 0), b1, beta, "s-3", Sonnet, Sonnet, 200, null, 0, 0, 0, 500, 0.00015m, 3000, 300, [], "h1"),
        };
        foreach (var r in rows)
        {
            await using var insert = dataSource.CreateCommand("""
                INSERT INTO request_log (at, request_id, key_id, team_id, session_id, model_requested, model_served, endpoint,
                                         status, error_type, stream, input_tokens, output_tokens, cache_creation_tokens,
                                         cache_read_tokens, cost_usd, latency_ms, ttfb_ms, tool_call_count, tool_names, prompt_prefix_hash)
                VALUES (@at, @id, @key, @team, @session, @requested, @served, '/v1/messages', @status, @error, true, @in, @out,
                        @cache_write, @cache_read, @cost, @latency, @ttfb, cardinality(@tools), @tools, @hash)
                """);
            var p = insert.Parameters;
            p.Add(new NpgsqlParameter<DateTimeOffset>("at", r.At));
            p.Add(new NpgsqlParameter<string>("id", r.Id));
            p.Add(new NpgsqlParameter<string>("key", r.Key));
            p.Add(new NpgsqlParameter<string>("team", r.Team));
            p.Add(new NpgsqlParameter("session", NpgsqlDbType.Text) { Value = (object?)r.Session ?? DBNull.Value });
            p.Add(new NpgsqlParameter<string>("requested", r.Requested));
            p.Add(new NpgsqlParameter("served", NpgsqlDbType.Text) { Value = (object?)r.Served ?? DBNull.Value });
            p.Add(new NpgsqlParameter<int>("status", r.Status));
            p.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)r.Error ?? DBNull.Value });
            p.Add(new NpgsqlParameter<long>("in", r.In));
            p.Add(new NpgsqlParameter<long>("out", r.Out));
            p.Add(new NpgsqlParameter<long>("cache_write", r.CacheWrite));
            p.Add(new NpgsqlParameter<long>("cache_read", r.CacheRead));
            p.Add(new NpgsqlParameter<decimal>("cost", r.Cost));
            p.Add(new NpgsqlParameter<double>("latency", r.Latency));
            p.Add(new NpgsqlParameter("ttfb", NpgsqlDbType.Double) { Value = (object?)r.Ttfb ?? DBNull.Value });
            p.Add(new NpgsqlParameter<string[]>("tools", r.Tools) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            p.Add(new NpgsqlParameter("hash", NpgsqlDbType.Text) { Value = (object?)r.Hash ?? DBNull.Value });
            await insert.ExecuteNonQueryAsync();
        }
    }
}
