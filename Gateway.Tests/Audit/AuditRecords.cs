using Gateway.Front.Audit;
using Gateway.Grains.Abstractions;
using Npgsql;

namespace Gateway.Tests.Audit;

/// <summary>Audit records to write, and <c>request_log</c> rows read back as records.</summary>
internal static class AuditRecords
{
    private static readonly string[] Models = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"];
    private static readonly string[] Tools = ["Bash", "Read", "Edit", "Grep", "Glob", "WebFetch", "TodoWrite"];

    /// <summary>Now, at the microsecond precision Postgres keeps.</summary>
    public static DateTimeOffset Now()
    {
        var now = DateTimeOffset.UtcNow;
        return now.AddTicks(-(now.Ticks % 10));
    }

    /// <summary>A realistic record; <paramref name="run"/> keeps ids apart between tests sharing nothing but a server.</summary>
    public static AuditRecord Sample(string run, int i, DateTimeOffset? at = null) => new()
    {
        At = at ?? Now(),
        RequestId = $"req_{run}_{i:D7}",
        KeyId = $"key_{i % 17}",
        TeamId = $"team_{i % 5}",
        BillingTag = i % 3 == 0 ? null : "project-x",
        SessionId = i % 4 == 0 ? null : $"session-{i % 40}",
        AgentId = i % 7 == 0 ? $"agent-{i}" : null,
        ParentAgentId = i % 14 == 0 ? "agent-root" : null,
        ModelRequested = Models[i % Models.Length],
        ModelServed = Models[i % Models.Length] + "-20250929",
        UpstreamKeyId = "upstream-0",
        Endpoint = "/v1/messages",
        Status = i % 50 == 0 ? 529 : 200,
        ErrorType = i % 50 == 0 ? "overloaded_error" : null,
        Stream = i % 2 == 0,
        Tokens = new TokenUsage(Input: 1_000 + i, Output: 200 + i % 800, CacheCreation: i % 10 == 0 ? 4_096 : 0, CacheRead: 20_000 + i),
        CostUsd = 0.01234567m + i * 0.00000001m,
        CacheSavingsUsd = 0.05m,
        LatencyMs = 1234.5 + i,
        TimeToFirstByteMs = i % 2 == 0 ? 321.25 : null,
        ToolCallCount = i % 4,
        ToolNames = Tools.Take(i % 4).ToArray(),
        CacheBreakpoints = i % 4,
        PromptPrefixHash = $"{i % 100:x64}",
        RequestBytes = 40_000 + i,
        UserAgent = "claude-cli/2.0.14 (external, cli)",
        Attempts = 1 + i % 2,
    };

    public static async Task<long> CountAsync(NpgsqlDataSource dataSource, string where = "true")
    {
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM request_log WHERE {where}");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<long> DistinctIdsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(DISTINCT request_id) FROM request_log");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Every row, as records, with the partition each sits in; ordered by request id.</summary>
    public static async Task<List<(AuditRecord Record, string Partition)>> ReadAllAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT tableoid::regclass::text, " + RequestLogCopy.Columns + " FROM request_log ORDER BY request_id");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(AuditRecord, string)>();
        while (await reader.ReadAsync())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var record = new AuditRecord
            {
                At = reader.GetFieldValue<DateTimeOffset>(1),
                RequestId = reader.GetString(2),
                KeyId = Text(3),
                TeamId = Text(4),
                BillingTag = Text(5),
                SessionId = Text(6),
                AgentId = Text(7),
                ParentAgentId = Text(8),
                ModelRequested = reader.GetString(9),
                ModelServed = Text(10),
                Provider = reader.GetString(11),
                UpstreamKeyId = Text(12),
                Endpoint = reader.GetString(13),
                Status = reader.GetInt32(14),
                ErrorType = Text(15),
                Stream = reader.GetBoolean(16),
                Tokens = new TokenUsage(reader.GetInt64(17), reader.GetInt64(18), reader.GetInt64(19), reader.GetInt64(20)),
                CostUsd = reader.GetDecimal(21),
                CacheSavingsUsd = reader.GetDecimal(22),
                LatencyMs = reader.GetDouble(23),
                TimeToFirstByteMs = reader.IsDBNull(24) ? null : reader.GetDouble(24),
                ToolCallCount = reader.GetInt32(25),
                ToolNames = reader.GetFieldValue<string[]>(26),
                CacheBreakpoints = reader.GetInt32(27),
                PromptPrefixHash = Text(28),
                RequestBytes = reader.GetInt32(29),
                UserAgent = Text(30),
                Attempts = reader.GetInt32(31),
            };
            rows.Add((record, reader.GetString(0)));
        }
        return rows;
    }

    /// <summary>Every column equal (the instant compared in UTC, whatever offset it was written with).</summary>
    public static void AssertSame(AuditRecord expected, AuditRecord actual)
    {
        Assert.Equal(expected.At.UtcDateTime, actual.At.UtcDateTime);
        Assert.Equal(expected.RequestId, actual.RequestId);
        Assert.Equal(expected.KeyId, actual.KeyId);
        Assert.Equal(expected.TeamId, actual.TeamId);
        Assert.Equal(expected.BillingTag, actual.BillingTag);
        Assert.Equal(expected.SessionId, actual.SessionId);
        Assert.Equal(expected.AgentId, actual.AgentId);
        Assert.Equal(expected.ParentAgentId, actual.ParentAgentId);
        Assert.Equal(expected.ModelRequested, actual.ModelRequested);
        Assert.Equal(expected.ModelServed, actual.ModelServed);
        Assert.Equal(expected.Provider, actual.Provider);
        Assert.Equal(expected.UpstreamKeyId, actual.UpstreamKeyId);
        Assert.Equal(expected.Endpoint, actual.Endpoint);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.ErrorType, actual.ErrorType);
        Assert.Equal(expected.Stream, actual.Stream);
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.CostUsd, actual.CostUsd);
        Assert.Equal(expected.CacheSavingsUsd, actual.CacheSavingsUsd);
        Assert.Equal(expected.LatencyMs, actual.LatencyMs);
        Assert.Equal(expected.TimeToFirstByteMs, actual.TimeToFirstByteMs);
        Assert.Equal(expected.ToolCallCount, actual.ToolCallCount);
        Assert.Equal(expected.ToolNames, actual.ToolNames);
        Assert.Equal(expected.CacheBreakpoints, actual.CacheBreakpoints);
        Assert.Equal(expected.PromptPrefixHash, actual.PromptPrefixHash);
        Assert.Equal(expected.RequestBytes, actual.RequestBytes);
        Assert.Equal(expected.UserAgent, actual.UserAgent);
        Assert.Equal(expected.Attempts, actual.Attempts);
    }

    public static string PartitionOf(DateTimeOffset at) => $"request_log_{at.UtcDateTime:yyyyMMdd}";
}
