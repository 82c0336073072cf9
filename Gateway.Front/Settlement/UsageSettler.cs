using System.Threading.Channels;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Settlement;

/// <summary>
/// Sends actual usage to the grains in batches, off the response path: one batch per key per flush,
/// retried with the same id (the grain applies a batch once), and drained on shutdown so a graceful
/// stop loses no charge. Session usage goes to each session's grain in the same pass.
/// </summary>
public sealed class UsageSettler(IGrainFactory grains, IOptions<SettlementOptions> options, ILogger<UsageSettler> logger) : BackgroundService
{
    private readonly SettlementOptions _options = options.Value;
    private readonly Channel<PendingCharge> _queue = Channel.CreateBounded<PendingCharge>(
        new BoundedChannelOptions(options.Value.Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
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
            var charges = perKey.Select(c => c.Charge).ToList();
            sends.Add(SettleKeyAsync(perKey.Key, new SettlementBatch { BatchId = Guid.NewGuid(), Charges = charges }));
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

    private async Task SettleKeyAsync(string keyId, SettlementBatch batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Bounded like every grain call: a batch stuck on a dead silo is retried (same id) on the new activation.
                await grains.GetGrain<IApiKeyGrain>(keyId).SettleAsync(batch).WaitAsync(TimeSpan.FromSeconds(2));
                Interlocked.Add(ref _settled, batch.Charges.Count);
                return;
            }
            catch (Exception e) when (attempt < _options.Attempts)
            {
                SettlementLog.Retrying(logger, keyId, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 500)));
            }
            catch (Exception e)
            {
                Interlocked.Add(ref _failed, batch.Charges.Count);
                FrontMetrics.SettlementFailed(batch.Charges.Count);
                SettlementLog.GaveUp(logger, keyId, batch.BatchId, batch.Charges.Count, e);
                return;
            }
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
