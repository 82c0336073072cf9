using Gateway.Front.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// One front with virtual keys in a real Postgres in front of the fake upstream, whose single pooled
/// upstream key every tenant shares: for the tests that one team cannot exhaust what others share (the
/// upstream key, the key's budget). Each test makes its own teams and keys.
/// </summary>
public sealed class TenantPoolHost : IAsyncLifetime
{
    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public IGrainFactory Grains => Front.Services.GetRequiredService<IGrainFactory>();

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

    public HttpClient Client(string secret)
    {
        var client = new HttpClient { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    /// <summary>A Messages body for <paramref name="model"/>.</summary>
    public static string Request(string model, int maxTokens = 64, bool stream = false) =>
        $$"""{"model":"{{model}}","max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Say hello"}]}""";

    /// <summary>Requests to <paramref name="path"/> the upstream received (its own record).</summary>
    public int Received(string path, string? model = null) =>
        Upstream.Received.Count(r => r.Method == "POST" && r.PathAndQuery.StartsWith(path, StringComparison.Ordinal)
            && (model is null || System.Text.Encoding.UTF8.GetString(r.Body).Contains(model, StringComparison.Ordinal)));

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The key's settled spend as Postgres has it (what bills the team).</summary>
    internal Task<decimal> SpentAsync(GatewayKeys.CreatedKey key) =>
        ScalarAsync<decimal>($"SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = '{key.KeyId}'");

    internal Task<KeyUsageView> UsageAsync(GatewayKeys.CreatedKey key) => Grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
}
