using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Gateway.Front.Metrics;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gateway.Front.Audit;

/// <summary>
/// Writes audit records to <c>request_log</c>, off the request path. <see cref="Write"/> only puts the
/// record in a bounded buffer (never waits, never throws); one writer loop takes batches of up to
/// <see cref="AuditOptions.BatchSize"/> rows (or whatever came within <see cref="AuditOptions.FlushInterval"/>)
/// and binary-COPYs each into a temporary staging table, then inserts it into <c>request_log</c> with
/// <c>ON CONFLICT DO NOTHING</c> in the same transaction, so a batch retried after an unclear failure
/// never duplicates a row.
/// <para>
/// When Postgres is down the batch in hand is retried with backoff (up to 5 s) while new records keep
/// queueing; once the buffer is full, further records are dropped, counted (<see cref="Dropped"/>) and
/// warned about at most every 10 s. A record Postgres refuses (bad data) is isolated by splitting the
/// batch, dropped and logged, so it cannot stall the rest. On shutdown the buffer is drained and written
/// for up to <see cref="AuditOptions.ShutdownFlushTimeout"/>.
/// </para>
/// <para>
/// Also keeps the daily partitions: today's and the next two days' exist before the first write and are
/// checked hourly; with <see cref="AuditOptions.RetentionDays"/> above 0, older days are dropped once a day.
/// </para>
/// </summary>
public sealed class PostgresAuditSink : BackgroundService, IAuditSink
{
    /// <summary>Serialises partition changes across fronts (the ASCII bytes of <c>gw-audit</c>).</summary>
    public const long PartitionLockKey = 0x67772D6175646974;

    /// <summary>Days ahead of today (UTC) whose partitions are created in advance.</summary>
    public const int PartitionDaysAhead = 2;

    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaintenanceRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private const string StagingTable = "request_log_staging";
    private static readonly string CreateStaging =
        $"CREATE TEMP TABLE {StagingTable} (LIKE {RequestLogCopy.Table} INCLUDING DEFAULTS) ON COMMIT DROP";
    private static readonly string CopyToStaging = RequestLogCopy.CopyCommand(StagingTable);
    private static readonly string InsertFromStaging =
        $"INSERT INTO {RequestLogCopy.Table} ({RequestLogCopy.Columns}) SELECT {RequestLogCopy.Columns} FROM {StagingTable} " +
        "ON CONFLICT (at, request_id) DO NOTHING";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<AuditRecord> _queue;
    private readonly CancellationTokenSource _giveUp = new();
    private readonly LogThrottle _dropWarnings = new(WarningInterval);
    private readonly LogThrottle _rejectionErrors = new(WarningInterval);
    private readonly SemaphoreSlim _partitionGate = new(1, 1);
    private volatile bool _stopping;
    private int _partitionsEnsuredFor = -1;
    private long _accepted;
    private long _written;
    private long _refused;
    private long _rejected;
    private long _lost;
    private long _failedAttempts;

    public PostgresAuditSink(NpgsqlDataSource dataSource, IOptions<AuditOptions> options, ILogger<PostgresAuditSink> logger,
        TimeProvider? timeProvider = null)
        : this(dataSource, ownsDataSource: false, options, logger, timeProvider)
    {
    }

    internal PostgresAuditSink(NpgsqlDataSource dataSource, bool ownsDataSource, IOptions<AuditOptions> options, ILogger logger,
        TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options.Value;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        // Wait mode: TryWrite answers false when full (DropWrite would answer true and lose the record unseen).
        _queue = Channel.CreateBounded<AuditRecord>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>Records accepted and not yet committed (queued, or in the batch being written).</summary>
    public long Buffered => Math.Max(0, Interlocked.Read(ref _accepted) - Interlocked.Read(ref _written) - Interlocked.Read(ref _lost) - Interlocked.Read(ref _rejected));

    /// <summary>Records committed to <c>request_log</c> (a record already there, from a retried batch, counts once).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>
    /// Records that will never be written: refused by <see cref="Write"/> (buffer full, or shutting down),
    /// refused by Postgres (<see cref="Rejected"/>), or still buffered when the shutdown flush timed out.
    /// Written + Dropped + Buffered is every record ever passed to <see cref="Write"/>.
    /// </summary>
    public long Dropped => Interlocked.Read(ref _refused) + Interlocked.Read(ref _rejected) + Interlocked.Read(ref _lost);

    /// <summary>Of <see cref="Dropped"/>, the records Postgres refused (bad data: e.g. a number out of range).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Batch writes that failed and were retried (Postgres down, connection lost, timeouts).</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Records queued but not yet taken into a batch (test hook).</summary>
    internal int Queued => _queue.Reader.Count;

    public void Write(AuditRecord record)
    {
        Interlocked.Increment(ref _accepted);
        if (record is not null && _queue.Writer.TryWrite(record))
        {
            return;
        }
        Interlocked.Decrement(ref _accepted);
        var total = Interlocked.Increment(ref _refused) + Interlocked.Read(ref _rejected) + Interlocked.Read(ref _lost);
        try
        {
            FrontMetrics.AuditRowsDropped(1);
            if (_dropWarnings.Hit(out var since))
            {
                if (_stopping)
                {
                    AuditLog.WrittenAfterStop(_logger, since, total);
                }
                else
                {
                    AuditLog.BufferFull(_logger, _options.BufferCapacity, since, total);
                }
            }
        }
        catch (Exception)
        {
            // A failing logger or metrics registry must not fail the request that wrote the record.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop accepting; the loop drains what is queued and writes it until the flush timeout (or the host's) ends.
        _stopping = true;
        _queue.Writer.TryComplete();
        try
        {
            _giveUp.CancelAfter(_options.ShutdownFlushTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
        await using var hostTimeout = cancellationToken.Register(static s => ((PostgresAuditSink)s!).GiveUp(), this);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        GiveUp();
        base.Dispose();
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // However the loop is stopped (StopAsync, or only disposal), the queue completes and the loop drains it.
        await using var completeOnStop = stoppingToken.Register(static s => ((Channel<AuditRecord>)s!).Writer.TryComplete(), _queue);
        var maintenance = MaintainAsync(stoppingToken);
        var batch = new AuditRecord[Math.Min(_options.BatchSize, _options.BufferCapacity)];
        var count = 0;
        long resolvedBefore = 0;
        try
        {
            while ((count = await FillAsync(batch, stoppingToken)) > 0)
            {
                PublishDepth();
                resolvedBefore = Resolved;
                await WriteAsync(new ArraySegment<AuditRecord>(batch, 0, count));
                Array.Clear(batch, 0, count);
                count = 0;
                PublishDepth();
            }
        }
        catch (Exception) when (_giveUp.IsCancellationRequested)
        {
            // The shutdown flush ran out of time (a cancellation, or whatever the cut-short attempt threw):
            // what is still in hand or queued is lost, and said so below.
        }

        // In hand: the batch's rows neither written nor rejected yet (a split batch may be partly written).
        var lost = count == 0 ? 0 : count - (Resolved - resolvedBefore);
        while (_queue.Reader.TryRead(out _))
        {
            lost++;
        }
        if (lost > 0)
        {
            Interlocked.Add(ref _lost, lost);
            FrontMetrics.AuditRowsDropped((int)lost);
            AuditLog.StoppedWithLoss(_logger, lost, Written, (long)_options.ShutdownFlushTimeout.TotalMilliseconds);
        }
        else
        {
            AuditLog.StoppedClean(_logger, Written);
        }
        FrontMetrics.AuditBufferDepth(0);
        try
        {
            await maintenance;
        }
        catch (Exception)
        {
            // Maintenance handles its own errors; a cancellation at shutdown is expected.
        }
    }

    /// <summary>
    /// Waits for a first record, then fills <paramref name="batch"/> with what is queued, waiting up to the
    /// flush interval for more when it is not full. 0 once the queue is completed (shutdown) and empty.
    /// </summary>
    private async Task<int> FillAsync(AuditRecord[] batch, CancellationToken stoppingToken)
    {
        if (!await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            return 0;
        }
        var count = Drain(batch, 0);
        if (count < batch.Length && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.FlushInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Stopping: write what there is now.
            }
            count = Drain(batch, count);
        }
        return count;
    }

    private int Drain(AuditRecord[] batch, int count)
    {
        while (count < batch.Length && _queue.Reader.TryRead(out var record))
        {
            batch[count++] = record;
        }
        return count;
    }

    /// <summary>
    /// Writes the rows, retrying with backoff until they are committed; a batch Postgres refuses for its
    /// data is split until the refused rows are alone, and those are dropped. Throws only when giving up.
    /// </summary>
    private async Task WriteAsync(ArraySegment<AuditRecord> rows)
    {
        var delay = FirstRetryDelay;
        var failures = 0;
        while (true)
        {
            _giveUp.Token.ThrowIfCancellationRequested();
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_giveUp.Token);
                attempt.CancelAfter(AttemptTimeout);
                await EnsurePartitionsIfNewDayAsync(attempt.Token);
                await CopyAsync(rows, attempt.Token);
                Interlocked.Add(ref _written, rows.Count);
                FrontMetrics.AuditRowsWritten(rows.Count);
                if (failures > 0)
                {
                    AuditLog.Recovered(_logger, failures);
                }
                return;
            }
            catch (Exception e) when (!_giveUp.IsCancellationRequested && IsRefusedData(e))
            {
                if (rows.Count == 1)
                {
                    Reject(rows[0], e);
                    return;
                }
                var half = rows.Count / 2;
                await WriteAsync(rows[..half]);
                await WriteAsync(rows[half..]);
                return;
            }
            catch (Exception e) when (!_giveUp.IsCancellationRequested)
            {
                failures++;
                Interlocked.Increment(ref _failedAttempts);
                FrontMetrics.AuditWriteFailed();
                PublishDepth();
                AuditLog.WriteFailed(_logger, rows.Count, failures, Buffered, (long)delay.TotalMilliseconds, Describe(e));
                await Task.Delay(delay, _time, _giveUp.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private async Task CopyAsync(ArraySegment<AuditRecord> rows, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(CreateStaging, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var copy = await connection.BeginBinaryImportAsync(CopyToStaging, cancellationToken))
        {
            await RequestLogCopy.WriteRowsAsync(copy, rows, cancellationToken);
            await copy.CompleteAsync(cancellationToken);
        }
        await using (var insert = new NpgsqlCommand(InsertFromStaging, connection, transaction))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private void Reject(AuditRecord record, Exception e)
    {
        Interlocked.Increment(ref _rejected);
        FrontMetrics.AuditRowsDropped(1);
        if (_rejectionErrors.Hit(out var since))
        {
            AuditLog.RowRejected(_logger, record?.RequestId ?? "(null)", since, Describe(e));
        }
    }

    /// <summary>
    /// Whether Postgres (or the encoder before it) refused the rows themselves, so retrying the same rows
    /// cannot succeed: data exceptions (22xxx), constraint violations (23xxx) and program limits (54xxx). Everything else — no
    /// connection, timeouts, a missing table before migrations ran — is worth retrying.
    /// </summary>
    internal static bool IsRefusedData(Exception e) => e switch
    {
        // 54: program limit exceeded, e.g. a value too big for an index row: the same rows fail every time.
        PostgresException p => p.SqlState.StartsWith("22", StringComparison.Ordinal) || p.SqlState.StartsWith("23", StringComparison.Ordinal)
            || p.SqlState.StartsWith("54", StringComparison.Ordinal),
        NpgsqlException or IOException or SocketException or TimeoutException or OperationCanceledException => false,
        InvalidCastException or ArgumentException or FormatException or OverflowException or EncoderFallbackException or NullReferenceException => true,
        _ => false,
    };

    private static string Describe(Exception e) => e switch
    {
        PostgresException p => $"{p.SqlState}: {p.MessageText}",
        { InnerException: { } inner } when e is NpgsqlException => $"{e.Message} ({inner.GetType().Name}: {inner.Message})",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    /// <summary>Records committed or refused by Postgres: no longer in hand.</summary>
    private long Resolved => Interlocked.Read(ref _written) + Interlocked.Read(ref _rejected);

    private void PublishDepth() => FrontMetrics.AuditBufferDepth((int)Math.Min(int.MaxValue, Buffered));

    private void GiveUp()
    {
        try
        {
            _giveUp.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // ---- Partitions -----------------------------------------------------------------------------------

    private DateOnly Today => DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);

    /// <summary>Before the first write of each UTC day: so no row of a day lands in the default partition for want of its own.</summary>
    private Task EnsurePartitionsIfNewDayAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _partitionsEnsuredFor) == Today.DayNumber ? Task.CompletedTask : EnsurePartitionsAsync(cancellationToken);

    /// <summary>Creates the partitions of today and the next <see cref="PartitionDaysAhead"/> days (UTC) that are missing.</summary>
    internal async Task EnsurePartitionsAsync(CancellationToken cancellationToken)
    {
        await _partitionGate.WaitAsync(cancellationToken);
        try
        {
            var today = Today;
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            for (var ahead = 0; ahead <= PartitionDaysAhead; ahead++)
            {
                var day = today.AddDays(ahead);
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                    await using var command = new NpgsqlCommand(
                        "SELECT pg_advisory_xact_lock(@lock); SELECT ensure_request_log_partition(@day)", connection, transaction);
                    command.Parameters.AddWithValue("lock", PartitionLockKey);
                    command.Parameters.AddWithValue("day", day);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                }
                catch (PostgresException e) when (IsRefusedData(e))
                {
                    // E.g. rows of that day already sit in the default partition: they stay there, and
                    // the day's rows keep going there; retrying each batch would not change it.
                    AuditLog.PartitionFailed(_logger, day, Describe(e));
                }
            }
            Volatile.Write(ref _partitionsEnsuredFor, today.DayNumber);
        }
        finally
        {
            _partitionGate.Release();
        }
    }

    /// <summary>Drops the daily partitions older than <see cref="AuditOptions.RetentionDays"/>; returns how many.</summary>
    internal async Task<int> DropOldPartitionsAsync(CancellationToken cancellationToken)
    {
        await _partitionGate.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@lock)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("lock", PartitionLockKey);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var command = new NpgsqlCommand("SELECT drop_request_log_partitions_before(@days)", connection, transaction);
            command.Parameters.AddWithValue("days", _options.RetentionDays);
            var dropped = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return dropped;
        }
        finally
        {
            _partitionGate.Release();
        }
    }

    /// <summary>Hourly: partitions ahead; once a UTC day (when <see cref="AuditOptions.RetentionDays"/> &gt; 0): old days dropped.</summary>
    private async Task MaintainAsync(CancellationToken stoppingToken)
    {
        var retainedOn = -1;
        while (!stoppingToken.IsCancellationRequested)
        {
            var delay = MaintenanceInterval;
            try
            {
                await EnsurePartitionsAsync(stoppingToken);
                var today = Today.DayNumber;
                if (_options.RetentionDays > 0 && retainedOn != today)
                {
                    var dropped = await DropOldPartitionsAsync(stoppingToken);
                    retainedOn = today;
                    if (dropped > 0)
                    {
                        AuditLog.PartitionsDropped(_logger, dropped, _options.RetentionDays, $"{AuditOptions.Section}:RetentionDays");
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                delay = MaintenanceRetryDelay;
                AuditLog.MaintenanceFailed(_logger, delay.TotalSeconds, Describe(e));
            }
            try
            {
                await Task.Delay(delay, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
