using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Routing;
using Gateway.Grains.Storage;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Security;

/// <summary>Three fake upstreams, one front with providers for each, and three teams (A and B pinned, C not).</summary>
public sealed class TeamPinnedHost : IAsyncLifetime
{
    public FakeUpstreamServer Shared { get; private set; } = null!;
    public FakeUpstreamServer UpstreamA { get; private set; } = null!;
    public FakeUpstreamServer UpstreamB { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;
    public (string TeamId, string Secret) TeamA { get; private set; }
    public (string TeamId, string Secret) TeamB { get; private set; }
    public (string TeamId, string Secret) TeamC { get; private set; }

    public async Task InitializeAsync()
    {
        Shared = await FakeUpstreamServer.StartAsync();
        UpstreamA = await FakeUpstreamServer.StartAsync();
        UpstreamB = await FakeUpstreamServer.StartAsync();
        Database = await TestPostgres.CreateAsync();
        // Team ids must be known before the front starts (rules are read once): make them in the store directly.
        await MigrationRunner.ApplyAsync(Database.DataSource);
        var store = new PostgresKeyStore(Database.DataSource);
        TeamA = await TenantAsync(store, "team-a");
        TeamB = await TenantAsync(store, "team-b");
        TeamC = await TenantAsync(store, "team-c");
        Front = await RoutingHost.StartWithKeysAsync(
            RoutingHost.Provider(0, "shared", Shared.BaseAddress, ("shared-1", "sk-shared")),
            RoutingHost.Provider(1, "workspace-a", UpstreamA.BaseAddress, ("a-1", "sk-workspace-a")),
            RoutingHost.Provider(2, "workspace-b", UpstreamB.BaseAddress, ("b-1", "sk-workspace-b")),
            new Dictionary<string, string?>
            {
                ["Postgres:ConnectionString"] = Database.ConnectionString,
                ["Audit:FlushInterval"] = "00:00:00.050",
                ["Logging:LogLevel:Default"] = "Error",
                // First match wins, teams included: team A's Opus requests go to the shared pool.
                ["Routing:Rules:0:Match"] = "claude-opus-*",
                ["Routing:Rules:0:Provider"] = "shared",
                ["Routing:Rules:0:Teams:0"] = TeamA.TeamId,
                ["Routing:Rules:1:Match"] = "*",
                ["Routing:Rules:1:Provider"] = "workspace-a",
                ["Routing:Rules:1:Teams:0"] = TeamA.TeamId,
                ["Routing:Rules:2:Match"] = "*",
                ["Routing:Rules:2:Provider"] = "workspace-b",
                ["Routing:Rules:2:Teams:0"] = TeamB.TeamId,
            });
    }

    public async Task DisposeAsync()
    {
        await Front.DisposeAsync();
        await Database.DisposeAsync();
        await Shared.DisposeAsync();
        await UpstreamA.DisposeAsync();
        await UpstreamB.DisposeAsync();
    }

    /// <summary>Forgets what the upstreams received, so a test counts only its own requests.</summary>
    public void ClearReceived()
    {
        Shared.ClearReceived();
        UpstreamA.ClearReceived();
        UpstreamB.ClearReceived();
    }

    private static async Task<(string TeamId, string Secret)> TenantAsync(PostgresKeyStore store, string name)
    {
        var team = await store.CreateTeamAsync(new NewTeam(name + "-" + Guid.NewGuid().ToString("N")[..6], null));
        var secret = KeySecrets.Generate();
        await store.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = name }, KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret));
        return (team.TeamId, secret);
    }
}

/// <summary>
/// Prompt-cache isolation by pinning: Anthropic scopes prompt caches to the upstream organisation or
/// workspace, so a team that must not share cache entries with others gets its own provider (its own
/// workspace's keys) through routing rules with <c>Teams</c>. Two pinned teams and one unpinned team,
/// three fake upstreams: each team's requests reach only its own provider's upstream.
/// </summary>
public sealed class TeamPinnedRoutingTests : IClassFixture<TeamPinnedHost>
{
    private static readonly Uri Somewhere = new("http://127.0.0.1:9/");
    private readonly TeamPinnedHost _host;
    private readonly FakeUpstreamServer _shared, _upstreamA, _upstreamB;
    private readonly FrontHost _front;
    private readonly (string TeamId, string Secret) _teamA, _teamB, _teamC;

    public TeamPinnedRoutingTests(TeamPinnedHost host)
    {
        _host = host;
        host.ClearReceived();
        (_shared, _upstreamA, _upstreamB, _front) = (host.Shared, host.UpstreamA, host.UpstreamB, host.Front);
        (_teamA, _teamB, _teamC) = (host.TeamA, host.TeamB, host.TeamC);
    }

    /// <summary>Messages (plain and streamed), count_tokens and model listing for one team.</summary>
    private async Task SendMixAsync(string secret)
    {
        using var client = _front.CreateClient(secret);
        using (var response = await client.PostAsync("v1/messages?beta=true", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("message_stop", await response.Content.ReadAsStringAsync());
        }
        using (var response = await client.PostAsync("v1/messages/count_tokens", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var response = await client.GetAsync("v1/models?limit=1000"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static string[] Paths(FakeUpstreamServer upstream) => upstream.Received.Select(r => r.PathAndQuery).ToArray();

    [Fact]
    public async Task Each_pinned_team_reaches_only_its_own_provider_and_an_unpinned_team_the_shared_one()
    {
        // Model listing is answered from the routing table (rules exist): it reaches no upstream.
        string[] mix = ["/v1/messages?beta=true", "/v1/messages", "/v1/messages/count_tokens"];

        await SendMixAsync(_teamA.Secret);
        Assert.Equal(mix, Paths(_upstreamA));
        Assert.Empty(_upstreamB.Received);
        Assert.Empty(_shared.Received);
        Assert.All(_upstreamA.Received, r => Assert.Equal("sk-workspace-a", RoutingHost.KeyOf(r)));

        await SendMixAsync(_teamB.Secret);
        Assert.Equal(mix, Paths(_upstreamB));
        Assert.Equal(mix.Length, _upstreamA.Received.Count);
        Assert.Empty(_shared.Received);
        Assert.All(_upstreamB.Received, r => Assert.Equal("sk-workspace-b", RoutingHost.KeyOf(r)));

        await SendMixAsync(_teamC.Secret);
        Assert.Equal(mix, Paths(_shared));
        Assert.Equal(mix.Length, _upstreamA.Received.Count);
        Assert.Equal(mix.Length, _upstreamB.Received.Count);
        Assert.All(_shared.Received, r => Assert.Equal("sk-shared", RoutingHost.KeyOf(r)));

        // The books say where each team's Messages went.
        await Eventually.HoldsAsync("every team's messages rows are written", async () =>
            await CountAsync("SELECT count(*) FROM request_log WHERE endpoint = 'messages'") >= 6, TimeSpan.FromSeconds(20));
        Assert.Equal(2L, await CountAsync($"SELECT count(*) FROM request_log WHERE team_id = '{_teamA.TeamId}' AND endpoint = 'messages' AND model_requested = 'claude-sonnet-4-5' AND provider = 'workspace-a'"));
        Assert.Equal(2L, await CountAsync($"SELECT count(*) FROM request_log WHERE team_id = '{_teamB.TeamId}' AND endpoint = 'messages' AND model_requested = 'claude-sonnet-4-5' AND provider = 'workspace-b'"));
        Assert.Equal(2L, await CountAsync($"SELECT count(*) FROM request_log WHERE team_id = '{_teamC.TeamId}' AND endpoint = 'messages' AND model_requested = 'claude-sonnet-4-5' AND provider = 'shared'"));
    }

    [Fact]
    public async Task Rules_stay_first_match_wins_with_teams()
    {
        using var client = _front.CreateClient(_teamA.Secret);
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-opus-4-5")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_shared.Received);
        Assert.Empty(_upstreamA.Received);

        // The same request from team B is pinned to B: team A's Opus rule is not B's.
        using var clientB = _front.CreateClient(_teamB.Secret);
        using var responseB = await clientB.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-opus-4-5")));
        Assert.Equal(HttpStatusCode.OK, responseB.StatusCode);
        Assert.Single(_upstreamB.Received);
        Assert.Single(_shared.Received);
    }

    [Fact]
    public void Resolving_a_route_by_model_and_team_allocates_nothing()
    {
        var routes = _front.Services.GetRequiredService<RouteTable>();
        Assert.Equal("workspace-a", routes.Resolve("claude-sonnet-4-5", _teamA.TeamId).Steps[0].Provider.Name);
        Assert.Equal("shared", routes.Resolve("claude-opus-4-5", _teamA.TeamId).Steps[0].Provider.Name);
        Assert.Equal("workspace-a", routes.Resolve(null, _teamA.TeamId).Steps[0].Provider.Name);
        Assert.Equal("workspace-b", routes.Resolve("claude-opus-4-5", _teamB.TeamId).Steps[0].Provider.Name);
        Assert.Equal("shared", routes.Resolve("claude-sonnet-4-5", _teamC.TeamId).Steps[0].Provider.Name);
        Assert.Equal("shared", routes.Resolve("claude-sonnet-4-5").Steps[0].Provider.Name);
        Assert.Same(routes.Default, routes.Resolve(null));

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            routes.Resolve("claude-sonnet-4-5", _teamB.TeamId);
            routes.Resolve("claude-haiku-4-5", _teamC.TeamId);
            routes.Resolve(null, _teamA.TeamId);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task A_pinned_teams_message_batch_is_created_on_its_own_provider_and_an_unpinned_teams_on_the_shared_one()
    {
        foreach (var (team, mine, others) in new[] { (_teamA, _upstreamA, new[] { _shared, _upstreamB }), (_teamC, _shared, new[] { _upstreamA, _upstreamB }) })
        {
            using var client = _front.CreateClient(team.Secret);
            var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody("claude-haiku-4-5"));
            Assert.Contains(mine.State.Batches.All, b => b.Id == id);
            Assert.All(others, upstream => Assert.DoesNotContain(upstream.State.Batches.All, b => b.Id == id));
            // Read back (and later settled) with the key that created it, on the same provider.
            using var read = await client.GetAsync($"v1/messages/batches/{id}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM message_batches WHERE team_id = '{_teamA.TeamId}' AND provider = 'workspace-a'"));
    }

    public static TheoryData<Dictionary<string, string?>, string> BadTeams => new()
    {
        { new() { ["Routing:Rules:0:Teams:0"] = "Platform team" }, "Routing:Rules:0:Teams:0 must be a team id (team_ followed by lowercase letters and digits" },
        { new() { ["Routing:Rules:0:Teams:0"] = "" }, "Routing:Rules:0:Teams:0 must be a team id" },
        { new() { ["Routing:Rules:0:Teams:0"] = "team_3f9a0c1b2d4e", ["Routing:Rules:0:Teams:1"] = "team_3f9a0c1b2d4e" }, "Routing:Rules:0:Teams:1 repeats team 'team_3f9a0c1b2d4e'" },
    };

    [Theory]
    [MemberData(nameof(BadTeams))]
    public async Task A_rule_naming_something_other_than_a_team_id_fails_start(Dictionary<string, string?> change, string message)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() => RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "main", Somewhere, ("k1", "sk-1")),
            new Dictionary<string, string?> { ["Routing:Rules:0:Match"] = "*", ["Routing:Rules:0:Provider"] = "main" },
            change));
        Assert.Contains(message, error.Message);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var command = _host.Database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
