using System.Diagnostics;
using System.Threading.Channels;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Settlement;

/// <summary>
/// Sends actual usage to the grains in batches, off the response path: one batch per key per flush,
/// retried with the same id (the grain applies a batch once) for <see cref="SettlementOptions.RetryFor"/>,
/// and drained on shutdown so a graceful stop loses no charge. The grain writes the spend through to
/// Postgres before it answers, so while Postgres is down every try fails: the batch in hand is retried
/// until Postgres is back (the reliability suite's restart test found 9 s of tries too few: whole batches
/// were given up). Session usage goes to each session's grain in the same pass.
/// <para>
/// Each key is settled on its own: while one key's batch is being retried (its grain moving after a silo
/// loss, say), that key's later charges wait for it and every other key's keep flowing, so no tenant's
/// trouble stalls another's accounting. What waits is bounded by <see cref="SettlementOptions.Capacity"/>;
/// past it the queue pushes back as before.
/// </para>
/// <para>
/// A batch refused for a reason no retry can fix (<see cref="SettlementFailures.IsPermanent"/>: a Postgres
/// data exception, e.g. a NUL in a model name) is split in halves, each settled on its own (new ids: the
/// refused statement applied nothing), until the bad charge is alone; it is then logged, counted and
/// recorded in <c>settlement_rejects</c>, and dropped. So one bad charge neither blocks the key's queue
/// for the retry window nor takes the good charges of its batch with it.
/// </para>
/// </summary>
public sealed class UsageSettler(IGrainFactory grains, IOptions<SettlementOptions> options, ILogger<UsageSettler> logger,
    IServiceProvider? services = null) : BackgroundService
{
    private static readonly TimeSpan GrainCallTimeout = TimeSpan.FromSeconds(2);

    private readonly SettlementOptions _options = options.Value;
    private readonly SettlementRejects _rejects = new(services?.GetService(typeof(Npgsql.NpgsqlDataSource)) as Npgsql.NpgsqlDataSource, logger);
    private readonly Channel<PendingCharge> _queue = Channel.CreateBounded<PendingCharge>(
        new BoundedChannelOptions(options.Value.Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _giveUp = new();

    /// <summary>Per key: the batch being settled and the charges that came since. Touched by the settling loop only.</summary>
    private readonly Dictionary<string, KeyQueue> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _sessionWrites = [];
    private int _waiting;
    private long _settled;
    private long _failed;
    private long _rejected;

    /// <summary>Charges settled so far (applied by a grain).</summary>
    public long Settled => Interlocked.Read(ref _settled);

    /// <summary>Charges given up on after every attempt (logged; counted in metrics).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Charges refused for good and isolated from their batch (logged, counted, recorded).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public ValueTask EnqueueAsync(PendingCharge charge) =>
        _queue.Writer.TryWrite(charge) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(charge);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                // Charges waiting behind a batch in flight are looked at every flush; otherwise sleep until one comes.
                if (_waiting == 0 && !await _queue.Reader.WaitToReadAsync(stoppingToken))
                {
                    break;
                }
                await Task.Delay(_options.FlushInterval, stoppingToken);
                Drain();
                Dispatch();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Shutdown: whatever is queued or waiting still goes out, key by key, until nothing is left.
        while (true)
        {
            Drain();
            Dispatch();
            var inFlight = _keys.Values.Select(k => k.InFlight).OfType<Task>().ToList();
            if (inFlight.Count == 0)
            {
                break;
            }
            await Task.WhenAll(inFlight);
        }
        Task[] sessionWrites;
        lock (_sessionWrites)
        {
            sessionWrites = [.. _sessionWrites];
        }
        await Task.WhenAll(sessionWrites);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        // At the host's shutdown deadline, batches still failing are given up (and logged), so the process can exit.
        await using var deadline = cancellationToken.Register(static s => ((UsageSettler)s!)._giveUp.Cancel(), this);
        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// Moves queued charges to their keys (while the bound allows) and starts their session writes: one call per
    /// session (and key) for all of its charges in this drain, not one per request; a per-request grain call was
    /// the largest source of a front's thread-pool hand-offs and allocations (docs/performance.md).
    /// </summary>
    private void Drain()
    {
        Dictionary<(string Session, string KeyId), SessionCharge>? sessions = null;
        while (_waiting < _options.Capacity && _queue.Reader.TryRead(out var charge))
        {
            if (!_keys.TryGetValue(charge.KeyId, out var key))
            {
                _keys[charge.KeyId] = key = new KeyQueue();
            }
            key.Waiting.Add(charge);
            _waiting++;
            if (charge.Charge.SessionId is { } session)
            {
                sessions ??= [];
                var one = SessionChargeOf(charge);
                sessions[(session, charge.KeyId)] = sessions.TryGetValue((session, charge.KeyId), out var earlier) ? earlier.CombineWith(one) : one;
            }
        }
        foreach (var ((session, _), combined) in sessions ?? [])
        {
            var write = RecordSessionAsync(session, combined);
            lock (_sessionWrites)
            {
                _sessionWrites.Add(write);
            }
            write.ContinueWith(static (t, set) => { lock (set!) { ((HashSet<Task>)set).Remove(t); } }, _sessionWrites, TaskScheduler.Default);
        }
    }

    private static SessionCharge SessionChargeOf(PendingCharge pending) => new()
    {
        KeyId = pending.KeyId,
        TeamId = pending.TeamId,
        CacheSavingsUsd = pending.CacheSavingsUsd,
        Tokens = pending.Charge.Tokens,
        CostUsd = pending.CostUsd,
        ToolCalls = pending.Charge.ToolCalls,
        At = pending.Charge.At,
    };

    /// <summary>Starts a batch for every key with charges waiting and none in flight; forgets keys with nothing left.</summary>
    private void Dispatch()
    {
        List<string>? idle = null;
        foreach (var (keyId, key) in _keys)
        {
            if (key.InFlight is { IsCompleted: false })
            {
                continue;
            }
            key.InFlight = null;
            if (key.Waiting.Count == 0)
            {
                (idle ??= []).Add(keyId);
                continue;
            }
            var pending = key.Waiting;
            key.Waiting = [];
            _waiting -= pending.Count;
            key.InFlight = SettleKeyAsync(keyId, pending);
        }
        foreach (var keyId in idle ?? [])
        {
            _keys.Remove(keyId);
        }
    }

    private async Task SettleKeyAsync(string keyId, List<PendingCharge> pending)
    {
        var batch = new SettlementBatch { BatchId = Guid.NewGuid(), Charges = pending.ConvertAll(c => c.Charge) };
        var started = Stopwatch.GetTimestamp();
        var holds = pending.Exists(p => p.Hold is not null);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Each try names the grain activation the budget holds are with now (it changes when a silo is lost).
                var sent = holds ? WithEpochs(batch, pending) : batch;
                // Bounded like every grain call: a batch stuck on a dead silo is retried (same id) on the new activation.
                await grains.GetGrain<IApiKeyGrain>(keyId).SettleAsync(sent).WaitAsync(GrainCallTimeout);
                ReleaseHolds(pending);
                Interlocked.Add(ref _settled, batch.Charges.Count);
                if (attempt > 1)
                {
                    SettlementLog.Recovered(logger, keyId, attempt, Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                return;
            }
            catch (Exception e) when (SettlementFailures.IsPermanent(e))
            {
                await IsolateAsync(keyId, pending, e);
                return;
            }
            catch (Exception e) when (Stopwatch.GetElapsedTime(started) < _options.RetryFor && !_giveUp.IsCancellationRequested)
            {
                if (attempt <= 3 || attempt % 10 == 0)
                {
                    SettlementLog.Retrying(logger, keyId, attempt, e.Message);
                }
                var delay = TimeSpan.FromMilliseconds(Math.Min(100.0 * attempt, _options.MaxRetryDelay.TotalMilliseconds));
                try
                {
                    await Task.Delay(delay, _giveUp.Token);
                }
                catch (OperationCanceledException)
                {
                    // Shutdown deadline: one last try, then give up.
                }
            }
            catch (Exception e)
            {
                // Given up: this front stops declaring the holds (the grain keeps them until this front goes quiet).
                ReleaseHolds(pending);
                Interlocked.Add(ref _failed, batch.Charges.Count);
                FrontMetrics.SettlementFailed(batch.Charges.Count);
                SettlementLog.GaveUp(logger, keyId, batch.BatchId, batch.Charges.Count, e);
                return;
            }
        }
    }

    /// <summary>A batch refused for good: halves settle on their own; a charge refused alone is dropped and recorded.</summary>
    private async Task IsolateAsync(string keyId, List<PendingCharge> pending, Exception e)
    {
        if (pending.Count > 1)
        {
            var half = pending.Count / 2;
            await SettleKeyAsync(keyId, pending.GetRange(0, half));
            await SettleKeyAsync(keyId, pending.GetRange(half, pending.Count - half));
            return;
        }
        var charge = pending[0];
        var reason = SettlementFailures.Reason(e);
        // Its hold ends with it: the grain never booked it, and this front stops declaring it.
        ReleaseHolds(pending);
        Interlocked.Increment(ref _rejected);
        FrontMetrics.SettlementRejected();
        SettlementLog.Rejected(logger, keyId, charge.Charge.RequestId, reason);
        await _rejects.RecordAsync(keyId, charge.Charge.RequestId, charge.CostUsd, reason);
    }

    private static SettlementBatch WithEpochs(SettlementBatch batch, List<PendingCharge> pending) => batch with
    {
        Charges = pending.ConvertAll(p => p.Hold is { } hold ? p.Charge with { BudgetEpoch = hold.Epoch } : p.Charge),
    };

    private static void ReleaseHolds(List<PendingCharge> pending)
    {
        foreach (var charge in pending)
        {
            charge.Hold?.Release();
        }
    }

    private sealed class KeyQueue
    {
        public List<PendingCharge> Waiting = [];
        public Task? InFlight;
    }

    private async Task RecordSessionAsync(string sessionId, SessionCharge charge)
    {
        try
        {
            // Bounded like the key's call: a session grain on a dead silo must not hold the shutdown drain.
            await grains.GetGrain<ISessionGrain>(sessionId).RecordAsync(charge).WaitAsync(GrainCallTimeout);
        }
        catch (Exception e)
        {
            // Session counters are informational; the key's budget above is what bills.
            SettlementLog.SessionFailed(logger, sessionId, e.Message);
        }
    }
}
