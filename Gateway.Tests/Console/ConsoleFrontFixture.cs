using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>One front with virtual keys (keys in memory, no Postgres) on the fake upstream; the console on, as by default.</summary>
public sealed class ConsoleFrontFixture : IAsyncLifetime
{
    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync();
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    /// <summary>A client that follows no redirect (the console's redirect is asserted) and presents nothing.</summary>
    public HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false })
    {
        BaseAddress = Front.BaseAddress,
        Timeout = TimeSpan.FromSeconds(10),
    };
}
