using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// Model listing is served to every key, so it is metered like count_tokens: each call takes one request
/// from the key's bucket (no tokens, no money). A flood of <c>GET /v1/models</c> stops at the key's own
/// limit and never spends the shared upstream keys' request limits; other keys list models as usual.
/// </summary>
public sealed class ModelListingAdmissionTests(TenantPoolHost host) : IClassFixture<TenantPoolHost>
{
    private int UpstreamModelCalls() =>
        host.Upstream.Received.Count(r => r.Method == "GET" && r.PathAndQuery.StartsWith("/v1/models", StringComparison.Ordinal));

    [Fact]
    public async Task A_model_listing_flood_stops_at_the_keys_request_bucket_and_leaves_other_keys_alone()
    {
        var flooder = await GatewayKeys.CreateAsync(host.Admin, limits: new { requests_per_minute = 4 });
        var neighbour = await GatewayKeys.CreateAsync(host.Admin);
        var before = UpstreamModelCalls();
        using var client = host.Client(flooder.Secret);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.GetAsync(i % 2 == 0 ? "v1/models?limit=1000" : "v1/models/claude-sonnet-4-5");
            var body = await response.Content.ReadAsStringAsync();
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
                Assert.Equal("4", response.Headers.GetValues("anthropic-ratelimit-requests-limit").Single());
            }
        }

        // The bucket holds 4 and refills one every 15 s: a slow machine may see a fifth.
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, 4, 5);
        Assert.Equal(12 - admitted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(before + admitted, UpstreamModelCalls());
        Assert.Equal(0m, await host.SpendAsync(flooder));

        using var other = host.Client(neighbour.Secret);
        for (var i = 0; i < 6; i++)
        {
            using var list = await other.GetAsync("v1/models?limit=1000");
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }
    }
}
