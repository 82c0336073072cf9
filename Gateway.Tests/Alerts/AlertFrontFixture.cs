using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Alerts;

/// <summary>
/// A real front with virtual keys and its embedded silo (so the silo's alert loop runs in it) on a fresh
/// Postgres database, the fake upstream, and a webhook receiver that accepts everything. Webhook hosts are
/// limited to loopback and <c>*.hooks.example</c>, so the allow-list is on.
/// </summary>
public sealed class AlertFrontFixture : IAsyncLifetime
{
    public TestPostgres Database { get; } = new();

    public FakeUpstreamServer Upstream { get; private set; } = null!;

    internal FrontHost Front { get; private set; } = null!;

    internal WebhookReceiver Hook { get; private set; } = null!;

    public static Dictionary<string, string?> Settings(string postgres) => new()
    {
        ["Postgres:ConnectionString"] = postgres,
        ["Alerts:EvaluateInterval"] = "00:00:00.200",
        ["Alerts:RetryBaseDelay"] = "00:00:00.200",
        ["Alerts:RetryMaxDelay"] = "00:00:00.400",
        ["Alerts:DeliveryTimeout"] = "00:00:01.500",
        ["Alerts:AllowedWebhookHosts:0"] = "127.0.0.1",
        ["Alerts:AllowedWebhookHosts:1"] = "*.hooks.example",
    };

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Upstream = await FakeUpstreamServer.StartAsync();
        Hook = await WebhookReceiver.StartAsync();
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, Settings(Database.ConnectionString));
    }

    public async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Hook.DisposeAsync();
        await Upstream.DisposeAsync();
        await Database.DisposeAsync();
    }
}
