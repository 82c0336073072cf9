using System.Net.Http.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Identity;

/// <summary>
/// One test provider, one Postgres database, a fake upstream and a front with sign-in on (issuer <c>corp</c>,
/// group <c>eng</c> → team <c>platform</c>, 1000 requests/min per user), shared by a test class.
/// </summary>
public sealed class SignInFixture : IAsyncLifetime
{
    public const string TeamName = "platform";

    internal OidcTestProvider Provider { get; private set; } = null!;
    internal TestPostgres Database { get; private set; } = null!;
    internal FakeUpstreamServer Upstream { get; private set; } = null!;
    internal FrontHost Front { get; private set; } = null!;
    public string TeamId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Provider = await OidcTestProvider.StartAsync();
        Database = await TestPostgres.CreateAsync();
        Upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG", EventDelayMs = 5 });
        var settings = Provider.GatewaySettings(TeamName);
        settings["Postgres:ConnectionString"] = Database.ConnectionString;
        settings["Identity:Issuers:0:UserLimits:RequestsPerMinute"] = "1000";
        settings["Audit:FlushInterval"] = "00:00:00.050";
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, settings);
        using var admin = Front.CreateAdminClient();
        using var team = await admin.PostAsJsonAsync("admin/teams", new { name = TeamName, billing_tag = "platform" });
        Assert.True(team.IsSuccessStatusCode, await team.Content.ReadAsStringAsync());
        TeamId = Json.Parse(await team.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Upstream.DisposeAsync();
        await Database.DisposeAsync();
        await Provider.DisposeAsync();
    }
}
