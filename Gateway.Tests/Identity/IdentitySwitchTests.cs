using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Auth;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Identity;

/// <summary>No issuer configured: the feature is off (no /auth endpoints, no token check); a half configuration fails at start.</summary>
public sealed class IdentitySwitchTests
{
    [Fact]
    public async Task Without_issuers_there_are_no_auth_endpoints_and_no_token_resolver()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress);
        Assert.Null(front.Services.GetService<IBearerTokenResolver>());
        using var http = new HttpClient { BaseAddress = front.BaseAddress };
        using var response = await http.PostAsync("auth/device", new FormUrlEncodedContent([]));
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, upstream.Received.Count(r => r.PathAndQuery.StartsWith("/auth", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_issuer_without_a_signing_key_stops_the_front_at_start()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => FrontHost.StartWithKeysAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Identity:Issuers:0:Name"] = "corp",
            ["Identity:Issuers:0:Authority"] = "https://login.example.com",
            ["Identity:Issuers:0:ClientId"] = "gateway",
            ["Identity:Issuers:0:Teams:eng"] = "platform",
        }));
        Assert.Contains("Identity:SigningKey", error.Message);
    }
}
