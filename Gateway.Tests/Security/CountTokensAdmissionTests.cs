using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// count_tokens costs the upstream a request: a tenant's flood of them must stop at its own key's request
/// bucket (with the usual 429 and back-off headers), never reach the shared upstream keys past it, cost no
/// money, and leave other tenants untouched. The key's model allow-list applies to it as to Messages.
/// </summary>
public sealed class CountTokensAdmissionTests(TenantPoolHost host) : IClassFixture<TenantPoolHost>
{
    private const string CountPath = "/v1/messages/count_tokens";

    [Fact]
    public async Task A_count_tokens_flood_stops_at_the_keys_request_bucket_and_leaves_other_keys_alone()
    {
        var flooder = await GatewayKeys.CreateAsync(host.Admin, limits: new { requests_per_minute = 5 });
        var neighbour = await GatewayKeys.CreateAsync(host.Admin);
        var before = host.Received(CountPath);
        using var client = host.Client(flooder.Secret);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20; i++)
        {
            var response = await client.PostAsync("v1/messages/count_tokens", Json.Body(TenantPoolHost.Request("claude-sonnet-4-5")));
            await response.Content.LoadIntoBufferAsync();
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests && refused is null)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        // The bucket holds 5; it refills one every 12 s, so a slow machine may see a sixth.
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, 5, 6);
        Assert.All(statuses.Take(5), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(20 - admitted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(before + admitted, host.Received(CountPath));

        using (refused)
        {
            Assert.NotNull(refused);
            var body = await refused!.Content.ReadAsStringAsync();
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
            Assert.Contains("5 requests per minute", body);
            Assert.True(int.Parse(refused.Headers.GetValues("retry-after").Single()) >= 1);
            Assert.Equal("5", refused.Headers.GetValues("anthropic-ratelimit-requests-limit").Single());
            Assert.Equal("0", refused.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        }

        // Counted, never charged: no spend and no settled usage on the key.
        var usage = await host.UsageAsync(flooder);
        Assert.Equal(0, usage.Requests);
        Assert.Equal(0m, usage.SpentTodayUsd);
        Assert.Equal(0m, await host.SpendAsync(flooder));

        // The neighbour's counts and messages all go through, the shared upstream key never cooled.
        using var other = host.Client(neighbour.Secret);
        for (var i = 0; i < 8; i++)
        {
            using var count = await other.PostAsync("v1/messages/count_tokens", Json.Body(TenantPoolHost.Request("claude-sonnet-4-5")));
            Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        }
        using var message = await other.PostAsync("v1/messages", Json.Body(TenantPoolHost.Request("claude-sonnet-4-5")));
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
    }

    [Fact]
    public async Task Count_tokens_obeys_the_keys_model_allow_list()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, allowedModels: ["claude-haiku-*"]);
        var before = host.Received(CountPath);
        using var client = host.Client(key.Secret);

        using var denied = await client.PostAsync("v1/messages/count_tokens", Json.Body(TenantPoolHost.Request("claude-sonnet-4-5")));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("permission_error", Json.AssertAnthropicError(await denied.Content.ReadAsStringAsync()));
        Assert.Equal(before, host.Received(CountPath));

        using var allowed = await client.PostAsync("v1/messages/count_tokens", Json.Body(TenantPoolHost.Request("claude-haiku-4-5")));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.True(Json.Parse(await allowed.Content.ReadAsStringAsync()).GetProperty("input_tokens").GetInt64() > 0);
        Assert.Equal(before + 1, host.Received(CountPath));
    }
}
