using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Front.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// One front with virtual keys, keys and audit in a real Postgres, in front of the fake upstream (which
/// answers anything): shared by the path-policy tests, each of which makes its own teams and keys, so
/// what one test forwards or charges cannot blur another's assertions.
/// </summary>
public sealed class PathPolicyHost : IAsyncLifetime
{
    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync();
        Database = await TestPostgres.CreateAsync();
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = Database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Error",
        });
        Admin = Front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Front.DisposeAsync();
        await Database.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public sealed record Tenant(string KeyId, string Secret, string TeamId);

    /// <summary>A new team and key through the admin API, with the given open paths and allowed models.</summary>
    public async Task<Tenant> TenantAsync(string[]? openPaths = null, string[]? allowedModels = null)
    {
        using var team = await Admin.PostAsJsonAsync("admin/teams", new { name = "paths-" + Guid.NewGuid().ToString("N")[..10] });
        Assert.True(team.IsSuccessStatusCode, await team.Content.ReadAsStringAsync());
        var teamId = JsonDocument.Parse(await team.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var key = await Admin.PostAsJsonAsync("admin/keys", new
        {
            team_id = teamId,
            name = "path policy key",
            allowed_models = allowedModels ?? [],
            open_paths = openPaths ?? [],
        });
        var body = await key.Content.ReadAsStringAsync();
        Assert.True(key.IsSuccessStatusCode, body);
        var root = JsonDocument.Parse(body).RootElement;
        return new Tenant(root.GetProperty("id").GetString()!, root.GetProperty("secret").GetString()!, teamId);
    }

    public HttpClient Client(string secret)
    {
        var client = new HttpClient { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    /// <summary>Waits for everything settled so far to reach Postgres: a marker request's audit row, then a flush interval.</summary>
    public async Task SettleAsync(Tenant marker)
    {
        using var client = Client(marker.Secret);
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await RowAsync(response.Headers.GetValues("request-id").First());
        await Task.Delay(300);
    }

    /// <summary>Waits (generously) for the audit row of <paramref name="requestId"/>.</summary>
    public async Task RowAsync(string requestId)
    {
        var clock = Stopwatch.StartNew();
        while (await ScalarAsync<long>($"SELECT count(*) FROM request_log WHERE request_id = '{requestId}'") == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the audit row of {requestId} never appeared");
            await Task.Delay(50);
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Nothing of <paramref name="key"/> reached the books: no request_log row, no spend, no usage.</summary>
    public async Task AssertNothingChargedAsync(Tenant key)
    {
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM request_log WHERE key_id = '{key.KeyId}'"));
        Assert.Equal(0m, await ScalarAsync<decimal>($"SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = '{key.KeyId}'"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT coalesce(sum(requests), 0)::bigint FROM usage_minute WHERE key_id = '{key.KeyId}'"));
    }

    /// <summary>What the upstream received after <paramref name="before"/> requests (the recorder keeps order).</summary>
    public IReadOnlyList<RecordedRequest> ReceivedSince(int before) => Upstream.Received.Skip(before).ToList();
}
