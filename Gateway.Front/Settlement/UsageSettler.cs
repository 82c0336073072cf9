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
/// were given up), and later charges wait in the queue. Session usage goes to each session's grain in the same pass.
/// </summary>
public sealed class UsageSettler(IGrainFactory grains, IOptions<SettlementOptions> options, ILogger<UsageSettler> logger) : BackgroundService
{
    private readonly SettlementOptions _options = options.Value;
    private readonly Channel<PendingCharge> _queue = Channel.CreateBounded<PendingCharge>(
        new BoundedChannelOptions(options.Value.Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _giveUp = new();
    private long _settled;
    private long _failed;

    /// <summary>Charges settled so far (applied by a grain).</summary>
    public long Settled => Interlocked.Read(ref _settled);

    /// <summary>Charges given up on after every attempt (logged; counted in metrics).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public ValueTask EnqueueAsync(PendingCharge charge) =>
        _queue.Writer.TryWrite(charge) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(charge);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingCharge>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(_options.FlushInterval, stoppingToken);
                Drain(batch);
                await SendAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Shutdown: whatever is queued still goes out.
        Drain(batch);
        await SendAsync(batch);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        // At the host's shutdown deadline, batches still failing are given up (and logged), so the process can exit.
        await using var deadline = cancellationToken.Register(static s => ((UsageSettler)s!)._giveUp.Cancel(), this);
        await base.StopAsync(cancellationToken);
    }

    private void Drain(List<PendingCharge> batch)
    {
        while (_queue.Reader.TryRead(out var charge))
        {
            batch.Add(charge);
        }
    }

    private async Task SendAsync(List<PendingCharge> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var sends = new List<Task>();
        foreach (var perKey in batch.GroupBy(c => c.KeyId))
        {
            var pending = perKey.ToList();
            var charges = pending.Select(c => c.Charge).ToList();
            sends.Add(SettleKeyAsync(perKey.Key, new SettlementBatch { BatchId = Guid.NewGuid(), Charges = charges }, pending));
        }
        foreach (var charge in batch)
        {
            if (charge.Charge.SessionId is { } session)
            {
                sends.Add(RecordSessionAsync(session, charge));
            }
        }
        await Task.WhenAll(sends);
        batch.Clear();
    }

    private async Task SettleKeyAsync(string keyId, SettlementBatch batch, List<PendingCharge> pending)
    {
        var started = Stopwatch.GetTimestamp();
        var holds = pending.Any(p => p.Hold is not null);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Each try names the grain activation the budget holds are with now (it changes when a silo is lost).
                var sent = holds ? WithEpochs(batch, pending) : batch;
                // Bounded like every grain call: a batch stuck on a dead silo is retried (same id) on the new activation.
                await grains.GetGrain<IApiKeyGrain>(keyId).SettleAsync(sent).WaitAsync(TimeSpan.FromSeconds(2));
                ReleaseHolds(pending);
                Interlocked.Add(ref _settled, batch.Charges.Count);
                if (attempt > 1)
                {
                    SettlementLog.Recovered(logger, keyId, attempt, Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
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

    private static SettlementBatch WithEpochs(SettlementBatch batch, List<PendingCharge> pending) => batch with
    {
        Charges = pending.Select(p => p.Hold is { } hold ? p.Charge with { BudgetEpoch = hold.Epoch } : p.Charge).ToList(),
    };

    private static void ReleaseHolds(List<PendingCharge> pending)
    {
        foreach (var charge in pending)
        {
            charge.Hold?.Release();
        }
    }

    private async Task RecordSessionAsync(string sessionId, PendingCharge pending)
    {
        var charge = pending.Charge;
        try
        {
            await grains.GetGrain<ISessionGrain>(sessionId).RecordAsync(new SessionCharge
            {
                KeyId = pending.KeyId,
                TeamId = pending.TeamId,
                CacheSavingsUsd = pending.CacheSavingsUsd,
                InputTokens = charge.InputTokens,
                OutputTokens = charge.OutputTokens,
                CacheCreationInputTokens = charge.CacheCreationInputTokens,
                CacheReadInputTokens = charge.CacheReadInputTokens,
                CostUsd = pending.CostUsd,
                ToolCalls = charge.ToolCalls,
                At = charge.At,
            });
        }
        catch (Exception e)
        {
            // Session counters are informational; the key's budget above is what bills.
            SettlementLog.SessionFailed(logger, sessionId, e.Message);
        }
    }
}
