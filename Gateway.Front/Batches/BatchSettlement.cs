using System.Collections.Concurrent;
using System.Net;
using Gateway.Front.Audit;
using Gateway.Front.Errors;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Grains.Storage;
using Gateway.Grains.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Batches;

/// <summary>
/// Charges an ended batch's real usage to the key that owns it, exactly once, however many fronts try
/// and however often: the results are read again, sorted by custom id and cut into fixed groups whose
/// settlement ids derive from the batch id (the spend store applies each id once); audit rows carry
/// request ids derived from batch and custom id and the batch's end time (the audit table keeps one row
/// per id); the hold is released and the row marked settled last, so a crash anywhere before that
/// leaves a row the next sweep settles again with the same ids, charging nothing twice.
/// </summary>
public sealed class BatchSettlement(IBatchStore store, BatchUpstream upstream, IGrainFactory grains, PriceTable prices, IAuditSink audit,
    IOptions<BatchOptions> options, TimeProvider time, ILogger<BatchSettlement> logger)
{
    /// <summary>Charges per settlement call. Fixed, never configured: every front must cut the same groups.</summary>
    public const int ChargesPerSettlement = 1000;

    public const string Endpoint = "batch";

    /// <summary>The audit error type of a batch charged its worst case because it was gone upstream unsettled.</summary>
    public const string GoneUpstreamErrorType = "batch_gone_unsettled_worst_case_charged";

    private const int MoneyScale = 8;
    private static readonly TimeSpan GrainCallTimeout = TimeSpan.FromSeconds(10);

    private readonly BatchOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Settles the batch if it has ended; true once it is settled (now or before). Calls for the same
    /// batch on this front share one run.
    /// </summary>
    public async Task<bool> SettleAsync(BatchRecord batch)
    {
        if (batch.SettledAt is not null)
        {
            return true;
        }
        var run = _running.GetOrAdd(batch.BatchId, _ => new Lazy<Task<bool>>(() => RunAsync(batch)));
        try
        {
            return await run.Value;
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, Lazy<Task<bool>>>(batch.BatchId, run));
        }
    }

    /// <summary>A client's read showed the batch ended: settle it in the background, errors logged (the sweep retries).</summary>
    public void Notice(BatchRecord batch, BatchState state)
    {
        if (batch.SettledAt is null && state.HasEnded)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await SettleAsync(batch);
                }
                catch (Exception e)
                {
                    BatchLog.SettleFailed(logger, batch.BatchId, e.Message);
                }
            });
        }
    }

    private async Task<bool> RunAsync(BatchRecord batch)
    {
        // Another front may have finished it since this row was read: no need to download its results again.
        if ((await store.FindAsync(batch.BatchId))?.SettledAt is not null)
        {
            return true;
        }
        if (upstream.Resolve(batch.Provider, batch.UpstreamKeyId) is not var (provider, credential))
        {
            BatchLog.CredentialGone(logger, batch.BatchId, batch.UpstreamKeyId, batch.Provider);
            return false;
        }
        var path = $"/v1/messages/batches/{batch.BatchId}";
        BatchState? state;
        using (var response = await upstream.SendAsync(provider, credential, HttpMethod.Get, path, null, null, CancellationToken.None))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                // Deleted or purged upstream before it was settled: its requests may all have run, but their
                // usage can no longer be read. Charged the worst case held for it (already at the batch price)
                // rather than nothing: finance can refund an overcharge it can see; an unbilled batch is lost.
                BatchLog.GoneUpstream(logger, batch.BatchId, batch.KeyId, batch.ReservedUsd);
                await ChargeWorstCaseAsync(batch);
                await FinishAsync(batch, batch.ReservedUsd);
                return true;
            }
            response.EnsureSuccessStatusCode();
            state = BatchState.TryRead(await response.Content.ReadAsByteArrayAsync());
        }
        if (state is null)
        {
            throw new InvalidDataException($"The upstream's answer about batch {batch.BatchId} is not a message_batch object.");
        }
        if (!state.HasEnded)
        {
            await store.UpdateStatusAsync(batch.BatchId, state.ProcessingStatus, null);
            return false;
        }
        var endedAt = state.EndedAt ?? throw new InvalidDataException($"Batch {batch.BatchId} has ended but has no ended_at.");
        await store.UpdateStatusAsync(batch.BatchId, state.ProcessingStatus, endedAt);

        List<BatchResult> results;
        using (var response = await upstream.SendAsync(provider, credential, HttpMethod.Get, path + "/results", null, null, CancellationToken.None))
        {
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync();
            results = await BatchResultReader.ReadAllAsync(stream, _options.MaxResultLineBytes, CancellationToken.None);
        }
        var charged = await ChargeAsync(batch, results, state.CreatedAt ?? batch.CreatedAt, endedAt);
        await FinishAsync(batch, charged);
        BatchLog.Settled(logger, batch.BatchId, batch.KeyId, results.Count(r => r.Succeeded), results.Count, charged);
        return true;
    }

    /// <summary>Charges every succeeded result at the batch price and writes one audit row per result; returns the total.</summary>
    private async Task<decimal> ChargeAsync(BatchRecord batch, List<BatchResult> results, DateTimeOffset createdAt, DateTimeOffset endedAt)
    {
        results.Sort((a, b) => string.CompareOrdinal(a.CustomId, b.CustomId));
        var factor = _options.PriceMultiplier;
        var key = grains.GetGrain<IApiKeyGrain>(batch.KeyId);
        var records = new List<AuditRecord>(results.Count);
        var charges = new List<UsageCharge>(Math.Min(results.Count, ChargesPerSettlement));
        decimal total = 0;
        var chunk = 0;
        foreach (var result in results)
        {
            // Both strings end up in Postgres: bounded here whatever the upstream sent.
            var customId = CustomId.IsValid(result.CustomId) ? result.CustomId : "invalid";
            var model = result.Model is { } m && BoundedText.IsModelName(m) ? m : "unknown";
            var requestId = BatchIds.AuditRequestId(batch.BatchId, customId);
            decimal cost = 0, savings = 0;
            if (result.Succeeded)
            {
                cost = Round(factor * prices.Cost(model, result.Tokens));
                savings = Round(factor * prices.CacheSavings(model, result.Tokens));
                total += cost;
                charges.Add(new UsageCharge
                {
                    RequestId = requestId,
                    Model = model,
                    // Reserved = used: batch usage does not draw on the key's per-minute token buckets
                    // (upstream, batches do not count against the Messages rate limits either).
                    ReservedInputTokens = result.Tokens.BilledInput,
                    ReservedOutputTokens = result.Tokens.Output,
                    Tokens = result.Tokens,
                    At = endedAt,
                    PriceMultiplier = factor,
                });
                if (charges.Count == ChargesPerSettlement)
                {
                    await SettleChunkAsync(key, batch.BatchId, chunk++, charges);
                    charges = new List<UsageCharge>(ChargesPerSettlement);
                }
            }
            records.Add(Audit(batch, result, requestId, model, cost, savings, createdAt, endedAt));
        }
        if (charges.Count > 0)
        {
            await SettleChunkAsync(key, batch.BatchId, chunk, charges);
        }
        // Written once the charges are in: a row never shows usage that was not charged.
        foreach (var record in records)
        {
            audit.Write(record);
        }
        return total;
    }

    /// <summary>
    /// One charge of the batch's reservation, under its own settlement id (applied once however often this
    /// runs), and one audit row saying so: status 410, error type <see cref="GoneUpstreamErrorType"/>.
    /// </summary>
    private async Task ChargeWorstCaseAsync(BatchRecord batch)
    {
        // The batch's creation time, the same on every try (its end time may not be known): with the request id it is the audit row's key.
        var at = batch.CreatedAt;
        var requestId = BatchIds.WorstCaseAuditRequestId(batch.BatchId);
        const string model = "unknown";
        var charge = new UsageCharge { RequestId = requestId, Model = model, At = at, CostUsd = batch.ReservedUsd };
        await ApplyAsync(grains.GetGrain<IApiKeyGrain>(batch.KeyId), new SettlementBatch { BatchId = BatchIds.WorstCaseSettlement(batch.BatchId), Charges = [charge] });
        audit.Write(new AuditRecord
        {
            At = at,
            RequestId = requestId,
            KeyId = batch.KeyId,
            TeamId = batch.TeamId,
            BillingTag = batch.BillingTag,
            ModelRequested = model,
            Provider = batch.Provider,
            UpstreamKeyId = batch.UpstreamKeyId,
            Endpoint = Endpoint,
            Status = StatusCodes.Status410Gone,
            ErrorType = GoneUpstreamErrorType,
            CostUsd = batch.ReservedUsd,
            Attempts = 1,
        });
    }

    private static Task SettleChunkAsync(IApiKeyGrain key, string batchId, int chunk, List<UsageCharge> charges) =>
        ApplyAsync(key, new SettlementBatch { BatchId = BatchIds.Settlement(batchId, chunk), Charges = charges });

    private static async Task ApplyAsync(IApiKeyGrain key, SettlementBatch settlement)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await key.SettleAsync(settlement).WaitAsync(GrainCallTimeout);
                return;
            }
            catch (Exception) when (attempt < 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    /// <summary>Releases the hold and marks the batch settled: the last steps, each harmless to repeat.</summary>
    private async Task FinishAsync(BatchRecord batch, decimal charged)
    {
        await grains.GetGrain<IApiKeyGrain>(batch.KeyId).ReleaseHoldAsync(batch.BatchId).WaitAsync(GrainCallTimeout);
        await store.MarkSettledAsync(batch.BatchId, charged, time.GetUtcNow());
    }

    private static AuditRecord Audit(BatchRecord batch, BatchResult result, string requestId, string model, decimal cost, decimal savings,
        DateTimeOffset createdAt, DateTimeOffset endedAt) => new()
    {
        // The batch's end time, the same on every try: with the request id it is the audit row's key.
        At = endedAt,
        RequestId = requestId,
        KeyId = batch.KeyId,
        TeamId = batch.TeamId,
        BillingTag = batch.BillingTag,
        ModelRequested = model,
        ModelServed = result.Succeeded ? model : null,
        Provider = batch.Provider,
        UpstreamKeyId = batch.UpstreamKeyId,
        Endpoint = Endpoint,
        Status = result.Type switch { "succeeded" => 200, "canceled" => 499, "expired" => 504, _ => result.ErrorType == AnthropicErrorTypes.InvalidRequest ? 400 : 500 },
        ErrorType = result.Succeeded ? null : result.Type == "errored" ? result.ErrorType ?? AnthropicErrorTypes.Api : result.Type,
        Tokens = result.Tokens,
        CostUsd = cost,
        CacheSavingsUsd = savings,
        LatencyMs = Math.Max(0, (endedAt - createdAt).TotalMilliseconds),
        Attempts = 1,
    };

    private static decimal Round(decimal usd) => Math.Round(usd, MoneyScale, MidpointRounding.AwayFromZero);
}
