using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The start-up the tenant-boundary fixtures share: the fake upstream, a real Postgres, one front with
/// virtual keys over both (audit flushed every 50 ms) and an admin client. A fixture says only what is its
/// own (the fake's options, extra front settings) and adds its helpers; each test makes its own tenants,
/// so what one test forwards or charges cannot blur another's assertions.
/// </summary>
public abstract class TenantFrontHost : IAsyncLifetime
{
    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>The fake upstream's options; null for its defaults.</summary>
    protected virtual FakeUpstreamOptions? UpstreamOptions => null;

    /// <summary>Settings of the shared front on top of the common ones (they win).</summary>
    protected virtual IDictionary<string, string?> FrontSettings => new Dictionary<string, string?>();

    /// <summary>How long a tenant client waits for an answer.</summary>
    protected virtual TimeSpan ClientTimeout => TimeSpan.FromSeconds(30);

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync(UpstreamOptions);
        Database = await TestPostgres.CreateAsync();
        Front = await StartFrontAsync(FrontSettings);
        Admin = Front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Front.DisposeAsync();
        await Database.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    /// <summary>A front with virtual keys over this Postgres and upstream (its own embedded silo), with <paramref name="settings"/> on top.</summary>
    protected Task<FrontHost> StartFrontAsync(IDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = Database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
            ["Logging:LogLevel:Default"] = "Error",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            all[name] = value;
        }
        return FrontHost.StartWithKeysAsync(Upstream.BaseAddress, all);
    }

    /// <summary>A client of the shared front presenting <paramref name="secret"/> (and a Claude Code session, if given).</summary>
    public HttpClient Client(string secret, string? session = null) => Client(Front, secret, session, ClientTimeout);

    /// <summary>A client of <paramref name="front"/> presenting <paramref name="secret"/>.</summary>
    public static HttpClient Client(FrontHost front, string secret, string? session = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = front.BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        if (session is not null)
        {
            client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);
        }
        return client;
    }

    /// <summary>A new team and key through the admin API (see <see cref="GatewayKeys"/>).</summary>
    internal Task<GatewayKeys.CreatedKey> TenantAsync(string[]? allowedModels = null, string[]? openPaths = null, object? limits = null) =>
        GatewayKeys.CreateAsync(Admin, limits, allowedModels, openPaths: openPaths);

    /// <summary>One value from this Postgres; a SQL NULL reads as null for a nullable <typeparamref name="T"/> (else the cast fails).</summary>
    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        var result = await command.ExecuteScalarAsync();
        return result is DBNull or null && default(T) is null ? default! : (T)result!;
    }

    /// <summary>Runs a statement that returns nothing (an UPDATE standing for time passing, say).</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The key's settled spend as Postgres has it (what bills the team).</summary>
    public Task<decimal> SpendAsync(string keyId) =>
        ScalarAsync<decimal>("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = @k", ("k", keyId));

    internal Task<decimal> SpendAsync(GatewayKeys.CreatedKey key) => SpendAsync(key.KeyId);

    /// <summary>The key's audit rows.</summary>
    public Task<long> RowsAsync(string keyId) =>
        ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k", ("k", keyId));

    internal Task<long> RowsAsync(GatewayKeys.CreatedKey key) => RowsAsync(key.KeyId);

    /// <summary>The requests the key's usage counts.</summary>
    public Task<long> ChargesAsync(string keyId) =>
        ScalarAsync<long>("SELECT coalesce(sum(requests), 0)::bigint FROM usage_minute WHERE key_id = @k", ("k", keyId));

    /// <summary>Nothing of the key reached the books: no request_log row, no spend, no usage.</summary>
    public async Task AssertNothingChargedAsync(string keyId)
    {
        Assert.Equal(0L, await RowsAsync(keyId));
        Assert.Equal(0m, await SpendAsync(keyId));
        Assert.Equal(0L, await ChargesAsync(keyId));
    }

    internal Task AssertNothingChargedAsync(GatewayKeys.CreatedKey key) => AssertNothingChargedAsync(key.KeyId);

    /// <summary>
    /// Waits until every audit row and charge made so far is in Postgres: one request of
    /// <paramref name="marker"/> is sent and its row awaited (the audit writer keeps order), then the
    /// settlement flush interval passes.
    /// </summary>
    internal async Task SettleAsync(GatewayKeys.CreatedKey marker)
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
        while (await ScalarAsync<long>("SELECT count(*) FROM request_log WHERE request_id = @r", ("r", requestId)) == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the audit row of {requestId} never appeared");
            await Task.Delay(50);
        }
    }
}
