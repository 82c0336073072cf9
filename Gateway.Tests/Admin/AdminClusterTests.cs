using System.Net;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>
/// The admin API with the real <c>GrainKeyChangeNotifier</c> and a silo in the same process, on
/// Postgres: a change made through the API reaches the grains' caches at once (the key directory
/// caches a hash's answer until told otherwise, so without the notification these would fail).
/// </summary>
public sealed class AdminClusterTests(TestPostgres database) : IClassFixture<TestPostgres>
{
    [Fact]
    public async Task Updates_rotations_and_revocations_reach_the_grains_at_once()
    {
        await using var host = await AdminHost.StartAsync(database.ConnectionString, withSilo: true);
        using var client = host.CreateClient();
        var team = Json.Parse(await (await client.PostAsync("admin/teams", Json.Body("""{"name":"grains"}"""))).Content.ReadAsStringAsync());
        var created = await client.PostAsync("admin/keys", Json.Body($$$"""
            {"team_id":"{{{team.GetProperty("id").GetString()}}}","name":"k","limits":{"requests_per_minute":100}}
            """));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = Json.Parse(await created.Content.ReadAsStringAsync());
        var keyId = key.GetProperty("id").GetString()!;
        var firstHash = KeySecrets.Hash(key.GetProperty("secret").GetString()!);

        // Warm both caches.
        Assert.Equal(100, (await host.Grains.GetGrain<IKeyDirectoryGrain>(firstHash).ResolveAsync())!.Limits.RequestsPerMinute);
        Assert.Equal(100, (await LeaseAsync(host, keyId)).Key.Limits.RequestsPerMinute);

        var patched = await client.PatchAsync($"admin/keys/{keyId}", Json.Body("""{"limits":{"requests_per_minute":5}}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.False(patched.Headers.Contains("x-gateway-warning"));
        Assert.Equal(5, (await host.Grains.GetGrain<IKeyDirectoryGrain>(firstHash).ResolveAsync())!.Limits.RequestsPerMinute);
        Assert.Equal(5, (await LeaseAsync(host, keyId)).Key.Limits.RequestsPerMinute);

        var rotated = Json.Parse(await (await client.PostAsync($"admin/keys/{keyId}/rotate", null)).Content.ReadAsStringAsync());
        var secondHash = KeySecrets.Hash(rotated.GetProperty("secret").GetString()!);
        Assert.Null(await host.Grains.GetGrain<IKeyDirectoryGrain>(firstHash).ResolveAsync());
        Assert.Equal(keyId, (await host.Grains.GetGrain<IKeyDirectoryGrain>(secondHash).ResolveAsync())?.KeyId);

        var revoked = await client.PostAsync($"admin/keys/{keyId}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.True((await host.Grains.GetGrain<IKeyDirectoryGrain>(secondHash).ResolveAsync())!.Revoked);
        Assert.True((await LeaseAsync(host, keyId)).Key.Revoked);
    }

    [Fact]
    public async Task Usage_shows_the_cluster_bucket_levels_of_a_key()
    {
        await using var host = await AdminHost.StartAsync(database.ConnectionString, withSilo: true);
        using var client = host.CreateClient();
        var team = Json.Parse(await (await client.PostAsync("admin/teams", Json.Body("""{"name":"usage"}"""))).Content.ReadAsStringAsync());
        var created = Json.Parse(await (await client.PostAsync("admin/keys", Json.Body($$$"""
            {"team_id":"{{{team.GetProperty("id").GetString()}}}","name":"k","limits":{"requests_per_minute":60,"daily_budget_usd":5}}
            """))).Content.ReadAsStringAsync());
        var keyId = created.GetProperty("id").GetString()!;

        // Another front takes a slice of 30: the levels the admin sees are the grain's, without it.
        var lease = await host.Grains.GetGrain<IApiKeyGrain>(keyId).AcquireLeaseAsync(new LeaseRequest { FrontId = "other-front", Requests = 100 });
        Assert.Equal(30, lease.Requests);
        var usage = Json.Parse(await client.GetStringAsync($"admin/keys/{keyId}/usage"));
        Assert.Equal("api_key_usage", usage.GetProperty("type").GetString());
        var requests = usage.GetProperty("requests_per_minute");
        Assert.Equal(60, requests.GetProperty("limit").GetInt64());
        Assert.InRange(requests.GetProperty("remaining").GetInt64(), 30, 31);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, usage.GetProperty("input_tokens_per_minute").ValueKind);
        Assert.Equal(5m, usage.GetProperty("limits").GetProperty("daily_budget_usd").GetDecimal());
        Assert.Equal(0m, usage.GetProperty("spent_today_usd").GetDecimal());

        var missing = await client.GetAsync("admin/keys/key_missing/usage");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static Task<Lease> LeaseAsync(AdminHost host, string keyId) =>
        host.Grains.GetGrain<IApiKeyGrain>(keyId).AcquireLeaseAsync(new LeaseRequest { FrontId = "admin-test", Requests = 1 });
}
