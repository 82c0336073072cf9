using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Batches;

/// <summary>
/// Settles batches nobody reads: every <see cref="BatchOptions.SweepInterval"/> this front claims the
/// unsettled batches whose check is due (from Postgres, so the work survives any restart and fronts
/// share it) and settles those that have ended.
/// </summary>
public sealed class BatchSweeper(IBatchStore store, BatchSettlement settlement, IOptions<BatchOptions> options, TimeProvider time,
    ILogger<BatchSweeper> logger) : BackgroundService
{
    private readonly BatchOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await SweepOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass; returns how many batches it settled.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<BatchRecord> due;
        try
        {
            due = await store.ClaimDueAsync(_options.SweepBatchSize, _options.RecheckAfter, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            BatchLog.SweepFailed(logger, e.Message);
            return 0;
        }
        var settled = 0;
        foreach (var batch in due)
        {
            try
            {
                settled += await settlement.SettleAsync(batch) ? 1 : 0;
            }
            catch (Exception e)
            {
                BatchLog.SettleFailed(logger, batch.BatchId, e.Message);
            }
        }
        return settled;
    }
}
