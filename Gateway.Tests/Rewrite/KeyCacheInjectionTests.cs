using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Rewrite;

/// <summary>
/// The per-key switch end to end: keys made through the admin API with <c>cache_injection</c> and
/// <c>cache_ttl</c>, a recorded Claude Code body sent with each through a real front (virtual keys,
/// embedded silo) to the fake upstream, and what the upstream received.
/// </summary>
public sealed class KeyCacheInjectionTests : GatewayTestBase
{
    private const string Fixture = "messages-main-turn.json"; // Claude Code's own 3 breakpoints
    private const string FiveMinuteMarker = ",\"cache_control\":{\"type\":\"ephemeral\"}";
    private const string OneHourMarker = ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}";

    protected override bool WithKeys => true;

    private async Task<(byte[] Sent, byte[] Received)> SendFixtureAsync(string secret, bool headerOff = false)
    {
        var body = await File.ReadAllBytesAsync(RepoPaths.Fixture("claude-code", Fixture));
        Upstream.ClearReceived();
        using var client = Front.CreateClient(secret);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
        };
        if (headerOff)
        {
            request.Headers.Add("x-gateway-cache-injection", "off");
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return (body, Assert.Single(Upstream.Received, r => r.Method == "POST").Body);
    }

    private static int Breakpoints(byte[] body) => BreakpointAudit.Count(body);

    [Fact]
    public async Task A_key_with_cache_injection_false_is_forwarded_byte_for_byte_while_a_default_key_gets_four_breakpoints()
    {
        using var admin = Front.CreateAdminClient();
        var off = await GatewayKeys.CreateAsync(admin, cacheInjection: false);
        var standard = await GatewayKeys.CreateAsync(admin);

        var (sent, received) = await SendFixtureAsync(off.Secret);
        Assert.Equal(3, Breakpoints(sent));
        Assert.Equal(sent, received);

        (sent, received) = await SendFixtureAsync(standard.Secret);
        Assert.Equal(4, Breakpoints(received)); // Claude Code's 3, plus the tools breakpoint
        var text = Encoding.UTF8.GetString(received);
        var at = text.LastIndexOf(FiveMinuteMarker, StringComparison.Ordinal);
        Assert.True(at >= 0);
        Assert.Equal(Encoding.UTF8.GetString(sent), text.Remove(at, FiveMinuteMarker.Length));

        // The request header still switches it off for one request of a key that has it on.
        (sent, received) = await SendFixtureAsync(standard.Secret, headerOff: true);
        Assert.Equal(sent, received);
    }

    [Fact]
    public async Task A_keys_cache_ttl_sets_the_ttl_of_the_breakpoint_the_gateway_adds()
    {
        using var admin = Front.CreateAdminClient();
        var hour = await GatewayKeys.CreateAsync(admin, cacheTtl: "1h");

        var (sent, received) = await SendFixtureAsync(hour.Secret);

        Assert.Equal(4, Breakpoints(received));
        Assert.True(BreakpointAudit.IsAcceptable(received, out var why), why); // 1h before Claude Code's 5m ones
        var text = Encoding.UTF8.GetString(received);
        var at = text.IndexOf(OneHourMarker, StringComparison.Ordinal);
        Assert.True(at >= 0, "no 1h marker added");
        Assert.Equal(Encoding.UTF8.GetString(sent), text.Remove(at, OneHourMarker.Length));
    }
}

/// <summary>With injection off by default, a key set to <c>true</c> turns it on for itself only.</summary>
public sealed class KeyCacheInjectionDefaultOffTests : GatewayTestBase
{
    protected override bool WithKeys => true;

    protected override IDictionary<string, string?>? FrontSettings => new Dictionary<string, string?> { ["CacheInjection:Enabled"] = "false" };

    [Fact]
    public async Task A_key_with_cache_injection_true_gets_it_although_the_gateway_default_is_off()
    {
        using var admin = Front.CreateAdminClient();
        var on = await GatewayKeys.CreateAsync(admin, cacheInjection: true);
        var standard = await GatewayKeys.CreateAsync(admin);
        var body = await File.ReadAllBytesAsync(RepoPaths.Fixture("claude-code", "messages-main-turn.json"));

        foreach (var (secret, expected) in new[] { (standard.Secret, 3), (on.Secret, 4) })
        {
            Upstream.ClearReceived();
            using var client = Front.CreateClient(secret);
            using var response = await client.PostAsync("v1/messages?beta=true", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsStringAsync();
            Assert.Equal(expected, BreakpointAudit.Count(Assert.Single(Upstream.Received, r => r.Method == "POST").Body));
        }
    }
}
