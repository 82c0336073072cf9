using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Alerts;

/// <summary>
/// Sends due crossings: claims a batch (rows locked with <c>FOR UPDATE SKIP LOCKED</c>, so another silo's
/// deliverer skips them), posts each once, records every attempt (count, time, HTTP status or error) and either
/// <c>delivered_at</c> or the next attempt's time, and commits. A delivered row is never claimed again; a silo that
/// dies mid-send rolls back and the crossing is sent again later: at least once, never twice at the same time.
/// </summary>
public sealed class AlertDeliverer(IAlertStore store, WebhookSender sender, IOptions<AlertOptions> options, TimeProvider time,
    ILogger<AlertDeliverer> logger)
{
    /// <summary>Sends what is due now, batch after batch; returns how many were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var delivered = 0;
        while (true)
        {
            await using var claim = await store.ClaimDueAsync(time.GetUtcNow(), settings.DeliveryBatchSize, cancellationToken);
            if (claim.Deliveries.Count == 0)
            {
                return delivered;
            }
            var outcomes = await Task.WhenAll(claim.Deliveries.Select(d => AttemptAsync(d, settings, cancellationToken)));
            await claim.CompleteAsync(outcomes, cancellationToken);
            delivered += outcomes.Count(o => o.Delivered);
            if (claim.Deliveries.Count < settings.DeliveryBatchSize)
            {
                return delivered;
            }
        }
    }

    private async Task<DeliveryOutcome> AttemptAsync(PendingDelivery delivery, AlertOptions settings, CancellationToken cancellationToken)
    {
        var attempts = delivery.Attempts + 1;
        // The URL is the rule's now (an admin may have fixed it), checked again against the allow-list now.
        WebhookResult result;
        if (WebhookUrlPolicy.Problem(delivery.WebhookUrl, settings.AllowedWebhookHosts) is { } problem)
        {
            result = new WebhookResult(false, null, "webhook_url " + problem);
        }
        else
        {
            result = await sender.PostAsync(delivery.WebhookUrl, delivery.Payload, delivery.DeliveryId, cancellationToken);
        }
        var now = time.GetUtcNow();
        var host = Uri.TryCreate(delivery.WebhookUrl, UriKind.Absolute, out var uri) ? uri.Host : "?";
        if (result.Delivered)
        {
            AlertLog.Delivered(logger, delivery.RuleId, delivery.Threshold, host, attempts);
            AlertMetrics.Attempt(DeliveryOutcomeKind.Delivered);
            return new DeliveryOutcome(delivery.DeliveryId, now, true, result.Status, null, null);
        }
        var next = DeliveryBackoff.Next(delivery.CrossedAt, now, attempts, settings, Random.Shared.NextDouble());
        if (next is null)
        {
            AlertLog.Abandoned(logger, delivery.RuleId, delivery.Threshold, attempts, result.Error ?? "");
            AlertMetrics.Attempt(DeliveryOutcomeKind.Abandoned);
            return new DeliveryOutcome(delivery.DeliveryId, now, false, result.Status, result.Error, null, Abandoned: true);
        }
        AlertLog.DeliveryFailed(logger, delivery.RuleId, delivery.Threshold, host, attempts, result.Error ?? "", next);
        AlertMetrics.Attempt(DeliveryOutcomeKind.Failed);
        return new DeliveryOutcome(delivery.DeliveryId, now, false, result.Status, result.Error, next);
    }
}
