using Gateway.Grains.Hosting;

namespace Gateway.Silo.Hosting;

/// <summary>
/// On SIGTERM the host would stop Kestrel first (it starts last), so probes would get "connection
/// refused" while the silo still hands off its grains. This stops the silo first, in the host's
/// Stopping phase, so <c>/readyz</c> keeps answering 503 until the silo has left the cluster. The
/// silo's own hosted service then finds it stopped. Silo process only: a front must drain its HTTP
/// requests before its grains go.
/// </summary>
internal sealed partial class SiloFirstShutdown(Orleans.Runtime.Silo silo, ClusterReadiness readiness, ILogger<SiloFirstShutdown> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (!readiness.IsConnected)
        {
            return; // never became active: the normal stop order is fine
        }
        try
        {
            await silo.StopAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            // The silo was not running after all (stop raced its start): its hosted service stops it.
            SiloNotStoppedFirst(logger, e);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Silo not stopped ahead of the HTTP server")]
    private static partial void SiloNotStoppedFirst(ILogger logger, Exception error);
}
