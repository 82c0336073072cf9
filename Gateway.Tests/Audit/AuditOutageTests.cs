using System.Diagnostics;
using Gateway.Front.Audit;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit.Abstractions;

namespace Gateway.Tests.Audit;

/// <summary>
/// Postgres unreachable (a loopback proxy between the sink and the server, cut and restored): writers
/// never wait, buffered records are written once it is back, and an overflow is counted, never silent.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class AuditOutageTests(ITestOutputHelper output)
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_three_second_outage_under_load_loses_nothing_doubles_nothing_and_never_blocks_Write()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var proxy = StartProxy(database);
        await using var viaProxy = DataSourceVia(proxy, database);
        await using var running = await RunningSink.StartAsync(viaProxy, new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(50) });
        var sink = running.Sink;

        var written = 0;
        var slowest = TimeSpan.Zero;
        var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < 10; i++)
                {
                    var record = AuditRecords.Sample(_run, written);
                    var started = Stopwatch.GetTimestamp();
                    sink.Write(record);
                    var took = Stopwatch.GetElapsedTime(started);
                    written++;
                    if (took > slowest)
                    {
                        slowest = took;
                    }
                }
                await Task.Delay(2);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(1));
        proxy.Cut();
        var writtenAtCut = sink.Written;
        await Task.Delay(TimeSpan.FromSeconds(3));
        var bufferedInOutage = sink.Buffered;
        var writtenInOutage = sink.Written - writtenAtCut;
        proxy.Restore();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await writer;
        await running.DrainedAsync();

        output.WriteLine($"{written} records; slowest Write {slowest.TotalMilliseconds:0.000} ms; {bufferedInOutage} buffered at the end of the outage; "
            + $"{writtenInOutage} committed during it; {sink.FailedAttempts} failed attempts");
        Assert.True(sink.FailedAttempts > 0, "the outage was never felt");
        Assert.True(bufferedInOutage > 1_000, $"only {bufferedInOutage} records were buffered during the outage");
        Assert.Equal(written, sink.Written);
        Assert.Equal(0, sink.Dropped);
        Assert.Equal(written, await AuditRecords.CountAsync(database.DataSource));
        Assert.Equal(written, await AuditRecords.DistinctIdsAsync(database.DataSource));
        // Write never waited on the database: each call was a buffer hand-off (the outage lasted 3 s).
        Assert.True(slowest < TimeSpan.FromMilliseconds(25), $"a Write took {slowest.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task A_full_buffer_drops_exactly_the_overflow_counts_it_and_warns_once()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var proxy = StartProxy(database);
        await using var viaProxy = DataSourceVia(proxy, database);
        proxy.Cut();
        await using var running = await RunningSink.StartAsync(viaProxy,
            new AuditOptions { BufferCapacity = 20, BatchSize = 10, FlushInterval = TimeSpan.FromMilliseconds(50) });
        var sink = running.Sink;

        // A first batch of 10 is taken into the writer, which keeps retrying it while the proxy is cut.
        var attempted = 0;
        for (; attempted < 10; attempted++)
        {
            sink.Write(AuditRecords.Sample(_run, attempted));
        }
        await Hosting.Eventually.HoldsAsync("the writer holds the first batch and is retrying it",
            () => Task.FromResult(sink.FailedAttempts > 0 && sink.Queued == 0), TimeSpan.FromSeconds(5));

        // The buffer takes 20 more; the other 80 are dropped and counted.
        for (; attempted < 110; attempted++)
        {
            sink.Write(AuditRecords.Sample(_run, attempted));
        }
        Assert.Equal(80, sink.Dropped);
        Assert.Equal(30, sink.Buffered);
        var warnings = running.Logger.At(LogLevel.Warning).Where(m => m.Contains("Audit buffer full")).ToList();
        var warning = Assert.Single(warnings); // rate-limited: one line for the 80
        Assert.Contains("20 records", warning);

        proxy.Restore();
        await running.DrainedAsync();
        await running.StopAsync();

        Assert.Equal(30, sink.Written);
        Assert.Equal(attempted, sink.Written + sink.Dropped);
        Assert.Equal(30, await AuditRecords.CountAsync(database.DataSource));
    }

    [Fact]
    public async Task Shutdown_with_Postgres_unreachable_gives_up_after_the_flush_timeout_and_says_what_was_lost()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var proxy = StartProxy(database);
        await using var viaProxy = DataSourceVia(proxy, database);
        await using var running = await RunningSink.StartAsync(viaProxy,
            new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(20), ShutdownFlushTimeout = TimeSpan.FromSeconds(1) });
        var sink = running.Sink;
        for (var i = 0; i < 5; i++)
        {
            sink.Write(AuditRecords.Sample(_run, i));
        }
        await running.DrainedAsync();
        proxy.Cut();
        for (var i = 5; i < 105; i++)
        {
            sink.Write(AuditRecords.Sample(_run, i));
        }

        var clock = Stopwatch.StartNew();
        await running.StopAsync();
        clock.Stop();
        sink.Write(AuditRecords.Sample(_run, 999)); // after shutdown: refused, counted

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal(5, sink.Written);
        Assert.Equal(101, sink.Dropped);
        Assert.Equal(0, sink.Buffered);
        Assert.Contains(running.Logger.At(LogLevel.Error), m => m.Contains("100 buffered records were not written"));
        Assert.Contains(running.Logger.At(LogLevel.Warning), m => m.Contains("after shutdown began"));
    }

    private static TcpProxy StartProxy(TestPostgres database)
    {
        var server = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        return TcpProxy.Start(server.Host!, server.Port);
    }

    private static NpgsqlDataSource DataSourceVia(TcpProxy proxy, TestPostgres database) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = proxy.Port,
            Timeout = 3,
        }.ConnectionString);
}
