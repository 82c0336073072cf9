namespace Gateway.FakeUpstream;

/// <summary>
/// A real Kestrel server that behaves like the Anthropic Messages API, for tests, benchmarks and
/// local runs without an Anthropic key. Start one per test (it starts in milliseconds on a free
/// loopback port) and dispose it at the end.
/// </summary>
public sealed class FakeUpstreamServer : IAsyncDisposable
{
    // Large enough for Anthropic's own 32 MB request limit, so the gateway's 413 is what gets tested.
    private const long MaxRequestBodyBytes = 64L * 1024 * 1024;

    private readonly WebApplication _app;

    private FakeUpstreamServer(WebApplication app, FakeUpstreamState state, Uri baseAddress)
    {
        _app = app;
        State = state;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the fake listens, with a trailing slash, e.g. <c>http://127.0.0.1:45123/</c>.</summary>
    public Uri BaseAddress { get; }

    public FakeUpstreamState State { get; }

    /// <summary>Mutable while running: e.g. raise EventDelayMs between two requests.</summary>
    public FakeUpstreamOptions Options => State.Options;

    /// <summary>A snapshot of the recorded requests, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Received => State.Received;

    public FaultQueue Faults => State.Faults;

    /// <summary>Requests the client abandoned before the fake finished answering (see <see cref="FakeUpstreamState.AbortedRequests"/>).</summary>
    public int AbortedRequests => State.AbortedRequests;

    public void ClearReceived() => State.ClearReceived();

    public static Task<FakeUpstreamServer> StartAsync(FakeUpstreamOptions? options = null, CancellationToken ct = default) =>
        StartWithStateAsync(new FakeUpstreamState(options), ct);

    /// <summary>
    /// Counts connections as they open and close, so a test can see whether a gateway pools or leaks them;
    /// HTTP/2 only (prior knowledge) when <see cref="FakeUpstreamOptions.Http2Only"/> is set.
    /// </summary>
    private static void ConfigureEndpoint(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, FakeUpstreamState state)
    {
        if (state.Options.Http2Only)
        {
            listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2;
        }
        listen.Use(next => async connection =>
        {
            state.ConnectionOpened();
            try
            {
                await next(connection);
            }
            finally
            {
                state.ConnectionClosed();
            }
        });
    }

    /// <summary>Starts on a state the caller built (e.g. with a manual TimeProvider).</summary>
    public static async Task<FakeUpstreamServer> StartWithStateAsync(FakeUpstreamState state, CancellationToken ct = default)
    {
        // The empty builder reads no appsettings or environment: a test's output folder may hold
        // the gateway's own appsettings.json, whose Kestrel endpoints must not be bound here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            k.ConfigureEndpointDefaults(listen => ConfigureEndpoint(listen, state));
        });
        builder.WebHost.UseUrls(state.Options.Url);
        builder.Services.AddRoutingCore();
        // Hung requests end on ApplicationStopping; this only bounds anything else left over.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        try
        {
            Map(app, state);
            await app.StartAsync(ct);
            // With port 0, Urls holds the port Kestrel actually bound once started.
            var address = app.Urls.First();
            return new FakeUpstreamServer(app, state, new Uri(address.EndsWith('/') ? address : address + "/"));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Maps every fake endpoint onto an existing app, so Program.cs can host the fake standalone or
    /// in-process. The app needs routing (any WebApplication.CreateBuilder app has it). The fake adds
    /// a catch-all 404 route, so give it an app (or port) of its own rather than the gateway's.
    /// </summary>
    public static void Map(WebApplication app, FakeUpstreamState state) => FakeUpstreamEndpoints.Map(app, state);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
