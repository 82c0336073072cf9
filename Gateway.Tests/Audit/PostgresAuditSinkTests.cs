using Gateway.Front.Audit;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Audit;

/// <summary>What the sink writes is what lands in <c>request_log</c>: every column, the right partition, once.</summary>
public sealed class PostgresAuditSinkTests
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Records_land_in_request_log_column_for_column_in_their_days_partition()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var running = await RunningSink.StartAsync(database.DataSource);

        var now = AuditRecords.Now();
        var full = new AuditRecord
        {
            // Written with a non-UTC offset: stored as the same instant.
            At = now.ToOffset(TimeSpan.FromHours(2)),
            RequestId = $"req_{_run}_full",
            KeyId = "key_1",
            TeamId = "team_a",
            BillingTag = "project-ü",
            SessionId = "4f1c8c1e-6b1a-4c55-9b0e-0d5d3c1f2a10",
            AgentId = "agent-7",
            ParentAgentId = "agent-1",
            ModelRequested = "claude-sonnet-4-5",
            ModelServed = "claude-sonnet-4-5-20250929",
            Provider = "anthropic",
            UpstreamKeyId = "upstream-2",
            Endpoint = "/v1/messages",
            Status = 200,
            ErrorType = null,
            Stream = true,
            Tokens = new TokenUsage(Input: 123_456_789_012, Output: 4_321, CacheCreation: 2_048, CacheRead: 90_000),
            CostUsd = 12345.67890123m,
            CacheSavingsUsd = -0.00000001m,
            LatencyMs = 98765.4321,
            TimeToFirstByteMs = 0.125,
            ToolCallCount = 3,
            ToolNames = ["Bash", "Read", "mcp__github__create_pull_request", "名前"],
            CacheBreakpoints = 4,
            PromptPrefixHash = new string('a', 64),
            RequestBytes = 1_234_567,
            UserAgent = "claude-cli/2.0.14 (external, cli)",
            Attempts = 3,
        };
        var sparse = new AuditRecord
        {
            At = now,
            RequestId = $"req_{_run}_sparse",
            ModelRequested = "claude-haiku-4-5",
            Endpoint = "/v1/messages/count_tokens",
            Status = 401,
            ErrorType = "authentication_error",
            LatencyMs = 0.5,
        };
        var tomorrow = AuditRecords.Sample(_run, 1, now.AddDays(1));
        var dayAfter = AuditRecords.Sample(_run, 2, now.AddDays(2));
        AuditRecord[] written = [full, sparse, tomorrow, dayAfter];
        foreach (var record in written)
        {
            running.Sink.Write(record);
        }
        await running.DrainedAsync();

        var rows = await AuditRecords.ReadAllAsync(database.DataSource);
        Assert.Equal(written.Length, rows.Count);
        foreach (var record in written)
        {
            var (row, partition) = Assert.Single(rows, r => r.Record.RequestId == record.RequestId);
            AuditRecords.AssertSame(record, row);
            Assert.Equal(AuditRecords.PartitionOf(record.At), partition);
        }
        Assert.Equal(written.Length, running.Sink.Written);
        Assert.Equal(0, running.Sink.Dropped);
        Assert.Equal(0, running.Sink.FailedAttempts);
    }

    [Fact]
    public async Task The_same_record_written_twice_is_one_row_in_one_batch_and_across_batches()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var running = await RunningSink.StartAsync(database.DataSource);

        var record = AuditRecords.Sample(_run, 1);
        running.Sink.Write(record);
        running.Sink.Write(record);
        await running.DrainedAsync();
        running.Sink.Write(record);
        running.Sink.Write(AuditRecords.Sample(_run, 2));
        await running.DrainedAsync();

        Assert.Equal(2, await AuditRecords.CountAsync(database.DataSource));
        Assert.Equal(1, await AuditRecords.CountAsync(database.DataSource, $"request_id = '{record.RequestId}'"));
        // Each record passed to Write is accounted for: a duplicate counts as written (it is in the table).
        Assert.Equal(4, running.Sink.Written);
        Assert.Equal(0, running.Sink.Dropped);
    }

    [Fact]
    public async Task A_record_Postgres_refuses_is_dropped_alone_and_odd_text_is_cleaned_not_refused()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var running = await RunningSink.StartAsync(database.DataSource, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(100) });

        var records = Enumerable.Range(0, 9).Select(i => AuditRecords.Sample(_run, i)).ToList();
        // numeric(20, 8) holds less than 10^12: Postgres refuses this one (22003).
        var outOfRange = AuditRecords.Sample(_run, 100);
        outOfRange = new AuditRecord
        {
            At = outOfRange.At, RequestId = outOfRange.RequestId, ModelRequested = outOfRange.ModelRequested,
            Endpoint = outOfRange.Endpoint, Status = 200, CostUsd = 10_000_000_000_000m,
        };
        records.Insert(4, outOfRange);
        // NUL and a lone surrogate (both possible in a client's JSON tool name) cannot be Postgres text.
        var odd = new AuditRecord
        {
            At = AuditRecords.Now(), RequestId = $"req_{_run}_odd", ModelRequested = "claude\0-x", Endpoint = "/v1/messages",
            Status = 200, ToolNames = ["a\0b", "bad\ud800tool"], UserAgent = "ua\0",
        };
        records.Add(odd);
        foreach (var record in records)
        {
            running.Sink.Write(record);
        }
        await running.DrainedAsync();

        Assert.Equal(records.Count - 1, await AuditRecords.CountAsync(database.DataSource));
        Assert.Equal(0, await AuditRecords.CountAsync(database.DataSource, $"request_id = '{outOfRange.RequestId}'"));
        var cleaned = Assert.Single(await AuditRecords.ReadAllAsync(database.DataSource), r => r.Record.RequestId == odd.RequestId).Record;
        Assert.Equal("claude\uFFFD-x", cleaned.ModelRequested);
        Assert.Equal(["a\uFFFDb", "bad\uFFFDtool"], cleaned.ToolNames);
        Assert.Equal(1, running.Sink.Rejected);
        Assert.Equal(1, running.Sink.Dropped);
        Assert.Equal(records.Count - 1, running.Sink.Written);
        Assert.Contains(running.Logger.At(LogLevel.Error), m => m.Contains(outOfRange.RequestId) && m.Contains("22003"));
    }
}
