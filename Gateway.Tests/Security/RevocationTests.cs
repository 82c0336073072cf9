using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Admin;
using Gateway.Grains.Keys;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Security;

/// <summary>
/// Revocation and rotation whose notice to the cluster is lost (the admin API's call to the grains
/// fails): the directory entry and the key's grain re-read the key from Postgres when their copy is
/// older than <see cref="KeyDirectoryOptions.RecheckInterval"/>, so the change still takes effect within
/// that interval plus the front's key cache (<c>Auth:CacheTime</c>, 1 s), through a real front.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class RevocationTests(ITestOutputHelper output)
{
    /// <summary>The documented bound with the defaults: RecheckInterval (5 s) + Auth:CacheTime (1 s).</summary>
    private static readonly TimeSpan Bound = new KeyDirectoryOptions().RecheckInterval + TimeSpan.FromSeconds(1);

    /// <summary>Room for a loaded machine on top of the bound; the measured time is printed.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_revoked_key_stops_working_within_the_bound_when_the_notice_is_lost()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        var notifier = new LostKeyChangeNotifier();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, database.ConnectionString, notifier: notifier);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        // In use: the directory entry and the key's grain hold their copies.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client));
        }

        using var revoke = await admin.PostAsync($"admin/keys/{key.KeyId}/revoke", null);
        Assert.True(revoke.IsSuccessStatusCode, await revoke.Content.ReadAsStringAsync());
        Assert.True(revoke.Headers.Contains(KeyChangePublisher.WarningHeader), "the notice must have been lost");
        Assert.True(notifier.Lost >= 1);
        var upstreamAtRevoke = upstream.Received.Count;

        var (took, body) = await UntilRefusedAsync(client);
        output.WriteLine($"revoked key refused {took.TotalMilliseconds:0} ms after the revocation (bound {Bound.TotalSeconds} s)");
        Assert.True(took <= Bound + Slack, $"took {took}");
        Assert.Equal("authentication_error", Json.AssertAnthropicError(body));

        // And it stays refused; nothing more of it reaches the upstream.
        await Task.Delay(500);
        var after = upstream.Received.Count;
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(client));
        Assert.Equal(after, upstream.Received.Count);
        Assert.True(after - upstreamAtRevoke <= Bound.TotalSeconds * 20 + 50, "only the requests sent while the bound ran reached the upstream");
    }

    [Fact]
    public async Task A_rotated_away_secret_stops_working_within_the_bound_and_the_new_one_works_at_once()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        var notifier = new LostKeyChangeNotifier();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, database.ConnectionString, notifier: notifier);
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var old = front.CreateClient(key.Secret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(old));

        using var rotate = await admin.PostAsync($"admin/keys/{key.KeyId}/rotate", null);
        var rotated = await rotate.Content.ReadAsStringAsync();
        Assert.True(rotate.IsSuccessStatusCode, rotated);
        Assert.True(rotate.Headers.Contains(KeyChangePublisher.WarningHeader), "the notice must have been lost");
        var secret = Json.Parse(rotated).GetProperty("secret").GetString()!;
        Assert.NotEqual(key.Secret, secret);

        using var fresh = front.CreateClient(secret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fresh));

        var (took, body) = await UntilRefusedAsync(old);
        output.WriteLine($"old secret refused {took.TotalMilliseconds:0} ms after the rotation (bound {Bound.TotalSeconds} s)");
        Assert.True(took <= Bound + Slack, $"took {took}");
        Assert.Equal("authentication_error", Json.AssertAnthropicError(body));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fresh));
    }

    [Fact]
    public async Task A_changed_limit_applies_within_the_bound_when_the_notice_is_lost()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, database.ConnectionString, notifier: new LostKeyChangeNotifier());
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { requests_per_minute = 1000 });
        using var client = front.CreateClient(key.Secret);
        Assert.Equal("1000", await RequestLimitAsync(client));

        using var update = await admin.PatchAsync($"admin/keys/{key.KeyId}", Json.Body("""{"limits":{"requests_per_minute":500}}"""));
        Assert.True(update.IsSuccessStatusCode, await update.Content.ReadAsStringAsync());
        Assert.True(update.Headers.Contains(KeyChangePublisher.WarningHeader), "the notice must have been lost");

        // The key's grain re-reads the key; the figures every answer carries come from it.
        var clock = Stopwatch.StartNew();
        while (await RequestLimitAsync(client) != "500")
        {
            Assert.True(clock.Elapsed < Bound + Slack, $"the new limit did not apply within {clock.Elapsed}");
            await Task.Delay(100);
        }
        output.WriteLine($"new limit applied {clock.ElapsedMilliseconds} ms after the change (bound {Bound.TotalSeconds} s)");
    }

    [Theory]
    [InlineData("KeyDirectory:RecheckInterval", "00:00:00")]
    [InlineData("KeyDirectory:RecheckInterval", "00:10:00")]
    [InlineData("KeyDirectory:UnknownKeyTime", "00:00:00")]
    [InlineData("KeyDirectory:UnknownKeyTime", "01:00:00")]
    public async Task Settings_that_would_unbound_the_revocation_stop_the_front_at_start(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            AuthSecurityHost.StartAsync(new Uri("http://127.0.0.1:9/"), null, new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key, error.Message);
    }

    private static async Task<string?> RequestLimitAsync(HttpClient client)
    {
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.TryGetValues("anthropic-ratelimit-requests-limit", out var values) ? values.Single() : null;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client)
    {
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    /// <summary>Sends a request every 50 ms until one is refused (401); returns how long that took and its body.</summary>
    private static async Task<(TimeSpan Took, string Body)> UntilRefusedAsync(HttpClient client)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Bound + Slack + TimeSpan.FromSeconds(10))
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                return (clock.Elapsed, body);
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"still accepted {clock.Elapsed} after the change");
    }
}
