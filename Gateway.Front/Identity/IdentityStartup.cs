namespace Gateway.Front.Identity;

/// <summary>Says at start which providers people sign in with, and sweeps expired tokens from the cache once a minute.</summary>
internal sealed class IdentityStartup(OidcIssuers issuers, GatewayTokenResolver resolver, TimeProvider time, ILogger<IdentityStartup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IdentityLog.Enabled(logger, issuers.All.Count, string.Join(", ", issuers.All.Select(i => i.Name)));
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                resolver.Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
