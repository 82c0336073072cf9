using Gateway.FakeUpstream;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A fake upstream and a front in front of it, fresh for each test: the set-up most end-to-end
/// test classes share. Override the hooks to change the upstream's options or the front's settings.
/// </summary>
public abstract class GatewayTestBase : IAsyncLifetime
{
    protected FakeUpstreamServer Upstream { get; private set; } = null!;
    protected FrontHost Front { get; private set; } = null!;

    protected virtual FakeUpstreamOptions? UpstreamOptions => null;

    protected virtual IDictionary<string, string?>? FrontSettings => null;

    /// <summary>Virtual keys (embedded silo, admin API) instead of pass-through.</summary>
    protected virtual bool WithKeys => false;

    public virtual async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync(UpstreamOptions);
        Front = WithKeys
            ? await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, FrontSettings)
            : await FrontHost.StartAsync(Upstream.BaseAddress, FrontSettings);
    }

    public virtual async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
