using System.Diagnostics;
using Gateway.Front.Audit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Tests.Audit;

/// <summary>A started <see cref="PostgresAuditSink"/> with a capturing logger; disposing stops it (flushing) and disposes it.</summary>
internal sealed class RunningSink : IAsyncDisposable
{
    private bool _stopped;

    private RunningSink(PostgresAuditSink sink, ListLogger<PostgresAuditSink> logger)
    {
        Sink = sink;
        Logger = logger;
    }

    public PostgresAuditSink Sink { get; }

    public ListLogger<PostgresAuditSink> Logger { get; }

    public static async Task<RunningSink> StartAsync(NpgsqlDataSource dataSource, AuditOptions? options = null)
    {
        var logger = new ListLogger<PostgresAuditSink>();
        var sink = new PostgresAuditSink(dataSource, Options.Create(options ?? new AuditOptions { FlushInterval = TimeSpan.FromMilliseconds(20) }), logger);
        await sink.StartAsync(CancellationToken.None);
        return new RunningSink(sink, logger);
    }

    /// <summary>Waits until every record written so far is committed (or dropped).</summary>
    public async Task DrainedAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (Sink.Buffered > 0)
        {
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(15)))
            {
                Assert.Fail($"Audit sink still has {Sink.Buffered} buffered records after {clock.Elapsed.TotalSeconds:0.0} s "
                    + $"(written {Sink.Written}, dropped {Sink.Dropped}, failed attempts {Sink.FailedAttempts}).{Environment.NewLine}{Logger}");
            }
            await Task.Delay(20);
        }
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Sink.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Sink.Dispose();
    }
}
