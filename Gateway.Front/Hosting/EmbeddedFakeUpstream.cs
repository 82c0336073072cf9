using Gateway.FakeUpstream;
using Gateway.Front.Forwarding;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Hosting;

/// <summary>
/// Local runs with no upstream configured get the built-in fake Anthropic API on a loopback port,
/// so <c>curl</c> and <c>claude</c> work at once with no key. Starts before Kestrel takes requests.
/// Compiled into Debug builds only and registered in Development only (<see cref="LocalFakeUpstream"/>).
/// </summary>
internal sealed class EmbeddedFakeUpstream(UpstreamDirectory directory, ILogger<EmbeddedFakeUpstream> logger) : IHostedService, IAsyncDisposable
{
    private FakeUpstreamServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!directory.NeedsEmbeddedFake)
        {
            return;
        }
        _server = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { EventDelayMs = 15 }, cancellationToken);
        directory.UseEmbeddedFake(_server.BaseAddress);
        ForwardingLog.UsingFakeUpstream(logger, _server.BaseAddress);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
