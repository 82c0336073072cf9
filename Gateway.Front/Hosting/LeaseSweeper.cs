using Gateway.Front.Admission;
using Gateway.Front.Auth;

namespace Gateway.Front.Hosting;

/// <summary>Twice a second: hand unused slices back to their grains and drop stale key-cache entries.</summary>
internal sealed class LeaseSweeper(LeaseBook leases, KeyAuthenticator authenticator) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await leases.SweepAsync();
            authenticator.Sweep();
        }
    }
}
