using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Gateway.Front.Audit;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Bench;

/// <summary>
/// How fast audit records reach <c>request_log</c>: through <see cref="PostgresAuditSink"/> (first Write to
/// last row committed), against the same rows by binary COPY straight into the table (no staging, no
/// ON CONFLICT: the floor), and by the sink's own SQL without the sink. Runs in a scratch database on the
/// given server, dropped at the end.
/// Usage: dotnet run -c Release --project bench/Gateway.Bench -- audit --postgres "&lt;conn&gt;" [--rows 200000] [--repeat 3] [--output file.md]
/// </summary>
internal static class AuditBench
{
    private const int BatchSize = 5_000;

    private static readonly string[] Models = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"];
    private static readonly string[] Tools = ["Bash", "Read", "Edit", "Grep", "Glob", "WebFetch", "TodoWrite", "Task", "mcp__github__create_pull_request"];

    /// <summary>The <c>audit</c> command: arguments after the word <c>audit</c>.</summary>
    public static async Task RunCommandAsync(string[] args)
    {
        string? Str(string name) => CommandLine.Value(args, name);
        var connectionString = Str("--postgres") ?? Environment.GetEnvironmentVariable("GATEWAY_TEST_POSTGRES")
            ?? throw new ArgumentException("audit: pass --postgres \"<Npgsql connection string>\" (a server where a scratch database may be created)");
        var rows = int.Parse(Str("--rows") ?? "200000", CultureInfo.InvariantCulture);
        var repeat = int.Parse(Str("--repeat") ?? "3", CultureInfo.InvariantCulture);
        var (table, _) = await RunAsync(connectionString, rows, repeat);
        Console.WriteLine(table);
        if (Str("--output") is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, table);
        }
    }

    /// <summary>
    /// Runs every path <paramref name="repeat"/> times (after a warm-up) and returns a markdown table of the medians,
    /// and the sink's median rows/s (the figure the peer bench quotes).
    /// </summary>
    public static async Task<(string Table, double SinkRowsPerSecond)> RunAsync(string connectionString, int rows, int repeat = 3)
    {
        var records = Generate(rows);
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        var scratch = "gw_bench_audit_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(connectionString, $"CREATE DATABASE \"{scratch}\"");
        try
        {
            var scratchConnection = new NpgsqlConnectionStringBuilder(connectionString) { Database = scratch }.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(scratchConnection);
            await MigrationRunner.ApplyAsync(dataSource);
            await using (var ensure = dataSource.CreateCommand(
                "SELECT ensure_request_log_partition((now() AT TIME ZONE 'UTC')::date + i) FROM generate_series(-1, 2) AS i"))
            {
                await ensure.ExecuteNonQueryAsync();
            }
            await using var version = dataSource.CreateCommand(
                "SELECT current_setting('server_version') || ' (fsync ' || current_setting('fsync') || ', synchronous_commit ' || current_setting('synchronous_commit') || ')'");
            var serverVersion = (string)(await version.ExecuteScalarAsync())!;

            Console.Error.WriteLine($"audit bench: {rows} rows, {repeat} runs per path, scratch database {scratch} on {server.Host}:{server.Port}");
            // Warm-up: JIT, pools, catalog caches.
            var warm = records.Take(Math.Min(rows, 20_000)).ToArray();
            await RawCopyAsync(dataSource, warm);
            await TruncateAsync(dataSource);
            await StagedCopyAsync(dataSource, warm);
            await TruncateAsync(dataSource);
            await SinkAsync(dataSource, warm);
            await TruncateAsync(dataSource);

            var raw = new List<double>();
            var staged = new List<double>();
            var retried = new List<double>();
            var sink = new List<double>();
            var writeCalls = new List<(double MeanNs, double MaxUs)>();
            for (var run = 0; run < repeat; run++)
            {
                raw.Add(await RawCopyAsync(dataSource, records));
                await ExpectRowsAsync(dataSource, rows);
                await TruncateAsync(dataSource);

                staged.Add(await StagedCopyAsync(dataSource, records));
                await ExpectRowsAsync(dataSource, rows);
                // The same batches again: every row already there, as when a batch is retried after a lost commit ack.
                retried.Add(await StagedCopyAsync(dataSource, records));
                await ExpectRowsAsync(dataSource, rows);
                await TruncateAsync(dataSource);

                var (seconds, meanNs, maxUs) = await SinkAsync(dataSource, records);
                sink.Add(seconds);
                writeCalls.Add((meanNs, maxUs));
                await ExpectRowsAsync(dataSource, rows);
                await TruncateAsync(dataSource);
                Console.Error.WriteLine($"  run {run + 1}: raw {Rate(rows, raw[^1])}, staged {Rate(rows, staged[^1])}, retried {Rate(rows, retried[^1])}, sink {Rate(rows, sink[^1])} rows/s");
            }

            var text = new StringBuilder();
            text.AppendLine($"`dotnet run -c Release --project bench/Gateway.Bench -- audit --postgres \"<conn>\" --rows {rows} --repeat {repeat}`");
            text.AppendLine();
            text.AppendLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}; "
                + $"PostgreSQL {serverVersion} on {server.Host}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. {rows} realistic rows per run "
                + $"(31 columns, tool-name arrays, 64-char prefix hashes), batches of {BatchSize}, one writer, into an empty `request_log` "
                + $"(today's partition, its 4 indexes); median of {repeat} runs after a warm-up.");
            text.AppendLine();
            text.AppendLine("| path | median s | rows/s | vs raw COPY |");
            text.AppendLine("|---|---:|---:|---:|");
            var floor = Median(raw);
            Row(text, "raw binary COPY into request_log (reference: no staging, no ON CONFLICT)", rows, floor, floor);
            Row(text, "COPY into temp staging + INSERT … ON CONFLICT DO NOTHING (the sink's SQL, called directly)", rows, Median(staged), floor);
            Row(text, "same, every row already present (a retried batch)", rows, Median(retried), floor);
            Row(text, "PostgresAuditSink end to end: first Write → last row committed (default options)", rows, Median(sink), floor);
            text.AppendLine();
            var calls = writeCalls.OrderBy(c => c.MeanNs).ElementAt(writeCalls.Count / 2);
            text.AppendLine($"`IAuditSink.Write` on the caller's side: {calls.MeanNs:0} ns per call on average, slowest {calls.MaxUs:0.0} µs "
                + $"(median run; {rows} calls back to back from one thread).");
            return (text.ToString(), rows / Median(sink));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(connectionString, $"DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)");
        }
    }

    /// <summary>Binary COPY of each batch straight into <c>request_log</c>, one transaction per batch.</summary>
    private static async Task<double> RawCopyAsync(NpgsqlDataSource dataSource, AuditRecord[] records)
    {
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < records.Length; start += BatchSize)
        {
            var batch = new ArraySegment<AuditRecord>(records, start, Math.Min(BatchSize, records.Length - start));
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var copy = await connection.BeginBinaryImportAsync(RequestLogCopy.CopyCommand(RequestLogCopy.Table)))
            {
                await RequestLogCopy.WriteRowsAsync(copy, batch, CancellationToken.None);
                await copy.CompleteAsync();
            }
            await transaction.CommitAsync();
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The sink's statements, batch by batch, without the sink (no buffer, no retry loop).</summary>
    private static async Task<double> StagedCopyAsync(NpgsqlDataSource dataSource, AuditRecord[] records)
    {
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < records.Length; start += BatchSize)
        {
            var batch = new ArraySegment<AuditRecord>(records, start, Math.Min(BatchSize, records.Length - start));
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var create = new NpgsqlCommand(
                "CREATE TEMP TABLE request_log_staging (LIKE request_log INCLUDING DEFAULTS) ON COMMIT DROP", connection, transaction))
            {
                await create.ExecuteNonQueryAsync();
            }
            await using (var copy = await connection.BeginBinaryImportAsync(RequestLogCopy.CopyCommand("request_log_staging")))
            {
                await RequestLogCopy.WriteRowsAsync(copy, batch, CancellationToken.None);
                await copy.CompleteAsync();
            }
            await using (var insert = new NpgsqlCommand(
                $"INSERT INTO request_log ({RequestLogCopy.Columns}) SELECT {RequestLogCopy.Columns} FROM request_log_staging ON CONFLICT (at, request_id) DO NOTHING",
                connection, transaction))
            {
                await insert.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Every record through a started sink as fast as one thread can call Write; timed to the last commit.</summary>
    private static async Task<(double Seconds, double MeanWriteNs, double MaxWriteUs)> SinkAsync(NpgsqlDataSource dataSource, AuditRecord[] records)
    {
        // Room for the whole burst: this measures how fast the sink drains, not what it drops.
        var options = new AuditOptions { BufferCapacity = Math.Max(100_000, records.Length) };
        var sink = new PostgresAuditSink(dataSource, Options.Create(options), NullLogger<PostgresAuditSink>.Instance);
        await sink.StartAsync(CancellationToken.None);
        try
        {
            long slowest = 0;
            var clock = Stopwatch.StartNew();
            foreach (var record in records)
            {
                var started = Stopwatch.GetTimestamp();
                sink.Write(record);
                var took = Stopwatch.GetTimestamp() - started;
                if (took > slowest)
                {
                    slowest = took;
                }
            }
            var writing = clock.Elapsed;
            while (sink.Written + sink.Dropped < records.Length)
            {
                await Task.Delay(1);
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (sink.Dropped > 0)
            {
                throw new InvalidOperationException($"the sink dropped {sink.Dropped} records");
            }
            return (seconds, writing.TotalNanoseconds / records.Length, slowest * 1_000_000.0 / Stopwatch.Frequency);
        }
        finally
        {
            await sink.StopAsync(CancellationToken.None);
            sink.Dispose();
        }
    }

    private static AuditRecord[] Generate(int rows)
    {
        var random = new Random(42);
        var now = DateTimeOffset.UtcNow;
        // The last half hour, but never before midnight UTC: every row in today's partition.
        var earliest = now.AddMinutes(-30);
        var midnight = now - now.TimeOfDay;
        var start = earliest < midnight ? midnight : earliest;
        var run = Guid.NewGuid().ToString("N")[..8];
        var records = new AuditRecord[rows];
        for (var i = 0; i < rows; i++)
        {
            var model = Models[random.Next(Models.Length)];
            var toolCount = random.Next(0, 6);
            var tools = new string[toolCount];
            for (var t = 0; t < toolCount; t++)
            {
                tools[t] = Tools[random.Next(Tools.Length)];
            }
            var failed = random.Next(100) == 0;
            var input = random.Next(50, 200_000);
            var output = random.Next(1, 8_000);
            var cacheRead = random.Next(2) == 0 ? random.Next(0, 150_000) : 0;
            records[i] = new AuditRecord
            {
                At = start.AddMilliseconds(random.Next(0, 30 * 60 * 1000)),
                RequestId = $"req_{run}{i:D9}",
                KeyId = $"key_{random.Next(500):D4}",
                TeamId = $"team_{random.Next(40):D2}",
                BillingTag = random.Next(3) == 0 ? null : $"project-{random.Next(100)}",
                SessionId = random.Next(5) == 0 ? null : Guid.NewGuid().ToString(),
                AgentId = random.Next(4) == 0 ? $"agent-{random.Next(1000)}" : null,
                ParentAgentId = random.Next(8) == 0 ? $"agent-{random.Next(1000)}" : null,
                ModelRequested = model,
                ModelServed = model + "-20250929",
                UpstreamKeyId = $"upstream-{random.Next(4)}",
                Endpoint = random.Next(20) == 0 ? "/v1/messages/count_tokens" : "/v1/messages",
                Status = failed ? 529 : 200,
                ErrorType = failed ? "overloaded_error" : null,
                Stream = random.Next(10) != 0,
                Tokens = new TokenUsage(input, output, random.Next(5) == 0 ? random.Next(1_024, 30_000) : 0, cacheRead),
                CostUsd = Math.Round((input * 3m + output * 15m + cacheRead * 0.3m) / 1_000_000m, 8),
                CacheSavingsUsd = Math.Round(cacheRead * 2.7m / 1_000_000m, 8),
                LatencyMs = random.NextDouble() * 60_000,
                TimeToFirstByteMs = random.Next(10) == 0 ? null : random.NextDouble() * 3_000,
                ToolCallCount = toolCount,
                ToolNames = tools,
                CacheBreakpoints = random.Next(0, 5),
                PromptPrefixHash = Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + new string('0', 48),
                RequestBytes = input * 4,
                UserAgent = "claude-cli/2.0.14 (external, cli)",
                Attempts = random.Next(20) == 0 ? 2 : 1,
            };
        }
        return records;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task TruncateAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("TRUNCATE request_log");
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExpectRowsAsync(NpgsqlDataSource dataSource, int rows)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM request_log");
        var count = (long)(await command.ExecuteScalarAsync())!;
        if (count != rows)
        {
            throw new InvalidOperationException($"request_log holds {count} rows, expected {rows}");
        }
    }

    private static void Row(StringBuilder text, string path, int rows, double seconds, double floor) =>
        text.AppendLine($"| {path} | {seconds.ToString("0.000", CultureInfo.InvariantCulture)} | {Rate(rows, seconds)} | "
            + $"{(floor / seconds).ToString("0.00", CultureInfo.InvariantCulture)}× |");

    private static string Rate(int rows, double seconds) => (rows / seconds).ToString("N0", CultureInfo.InvariantCulture);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
