using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

/// <summary>
/// Tells the cluster about a key change after the store has it. The store is the truth, so a cluster
/// that does not answer in time does not undo or fail the change (a rotated secret shown once must
/// reach the administrator): the answer carries an <c>x-gateway-warning</c> header instead, and
/// the change applies when the cluster's caches expire or the grains reload.
/// </summary>
internal sealed class KeyChangePublisher(IKeyChangeNotifier notifier, IOptionsMonitor<AdminOptions> options, ILogger<KeyChangePublisher> logger)
{
    public const string WarningHeader = "x-gateway-warning";

    public async Task PublishAsync(HttpContext context, string keyId, string secretHash)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.CurrentValue.NotifyTimeout);
        try
        {
            await notifier.KeyChangedAsync(keyId, secretHash, timeout.Token);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Any failure of the cluster call (unreachable silo, timeout, grain error) is reported, not thrown.
            AdminLog.NotifyFailed(logger, keyId, e);
            context.Response.Headers.Append(WarningHeader,
                $"the cluster did not acknowledge the change of {keyId}; it applies when its caches expire");
        }
    }
}
