using System.Net.Http.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Identity;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Console;

/// <summary>
/// The console signed in through a real OIDC provider: npm oidc-provider (client <c>console</c>, public, code flow
/// with PKCE), a Postgres database, the fake upstream and one front with issuer <c>corp</c>: group
/// <c>gateway-admins</c> → administrator, <c>leads-alpha</c>/<c>leads-beta</c> → lead of team alpha/beta. Each team has
/// one key made with the admin token.
/// </summary>
public sealed class ConsoleAuthFixture : IAsyncLifetime
{
    public const string Alpha = "alpha";
    public const string Beta = "beta";

    internal OidcTestProvider Provider { get; private set; } = null!;
    internal TestPostgres Database { get; private set; } = null!;
    internal FakeUpstreamServer Upstream { get; private set; } = null!;
    internal FrontHost Front { get; private set; } = null!;
    public string AlphaId { get; private set; } = "";
    public string BetaId { get; private set; } = "";
    public string AlphaKeyId { get; private set; } = "";
    public string BetaKeyId { get; private set; } = "";
    public string AlphaSecret { get; private set; } = "";
    public string BetaSecret { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Provider = await OidcTestProvider.StartAsync();
        Database = await TestPostgres.CreateAsync();
        Upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { ReplyText = "PONG" });
        var settings = Provider.GatewaySettings(Alpha);
        settings["Identity:Issuers:0:ClientId"] = "console";
        settings["Identity:Issuers:0:ClientSecret"] = null;
        settings["Identity:Issuers:0:Scopes"] = "openid email groups";
        settings["Identity:Issuers:0:LeadGroups:leads-alpha"] = Alpha;
        settings["Identity:Issuers:0:LeadGroups:leads-beta"] = Beta;
        settings["Postgres:ConnectionString"] = Database.ConnectionString;
        settings["Audit:FlushInterval"] = "00:00:00.050";
        settings["Alerts:AllowedWebhookHosts:0"] = "127.0.0.1";
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, settings);

        using var admin = Front.CreateAdminClient();
        AlphaId = await CreateAsync(admin, "admin/teams", new { name = Alpha }, "id");
        BetaId = await CreateAsync(admin, "admin/teams", new { name = Beta }, "id");
        (AlphaKeyId, AlphaSecret) = await CreateKeyAsync(admin, AlphaId, "alpha-ci");
        (BetaKeyId, BetaSecret) = await CreateKeyAsync(admin, BetaId, "beta-ci");
    }

    private static async Task<(string Id, string Secret)> CreateKeyAsync(HttpClient admin, string teamId, string name)
    {
        using var response = await admin.PostAsJsonAsync("admin/keys", new { team_id = teamId, name });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var json = Json.Parse(body);
        return (json.GetProperty("id").GetString()!, json.GetProperty("secret").GetString()!);
    }

    private static async Task<string> CreateAsync(HttpClient admin, string path, object body, string field)
    {
        using var response = await admin.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return Json.Parse(text).GetProperty(field).GetString()!;
    }

    public async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Upstream.DisposeAsync();
        await Database.DisposeAsync();
        await Provider.DisposeAsync();
    }
}
