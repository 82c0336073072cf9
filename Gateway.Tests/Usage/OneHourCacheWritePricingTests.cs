using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Grains.Pricing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Usage;

/// <summary>A front with keys in Postgres whose fake upstream caches any prefix (so the gateway's 1-hour breakpoints write).</summary>
public sealed class OneHourCacheHost : TenantFrontHost
{
    protected override FakeUpstreamOptions? UpstreamOptions => new() { MinCacheablePrefixTokens = 0 };
}

/// <summary>
/// 1-hour cache writes cost 2× input, 5-minute ones 1.25× (Anthropic's prices): the gateway reads
/// <c>usage.cache_creation.ephemeral_1h_input_tokens</c> and charges the key at the 1-hour rate, in the
/// streaming and the non-streaming reader alike. A key whose breakpoints the gateway injects with a 1 h TTL
/// is charged exactly what the usage its client saw costs at those rates.
/// </summary>
public sealed class OneHourCacheWritePricingTests(OneHourCacheHost host) : IClassFixture<OneHourCacheHost>
{
    private static readonly string LongSystem = string.Join(' ', Enumerable.Repeat("You are a careful assistant who answers briefly.", 120));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_hour_cache_writes_are_charged_at_twice_the_input_price(bool stream)
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, cacheTtl: "1h");
        using var client = host.Client(key.Secret);
        var body = JsonSerializer.Serialize(new
        {
            model = "claude-sonnet-4-5",
            max_tokens = 32,
            stream,
            system = LongSystem + " " + Guid.NewGuid(),
            messages = new[] { new { role = "user", content = "Hello" } },
        });
        using var response = await client.PostAsync("v1/messages", Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var usage = stream
            ? Json.Parse(text.Split('\n').First(l => l.StartsWith("data: {\"type\":\"message_start\"", StringComparison.Ordinal))["data: ".Length..])
                .GetProperty("message").GetProperty("usage")
            : Json.Parse(text).GetProperty("usage");
        var written = usage.GetProperty("cache_creation_input_tokens").GetInt64();
        var hour = usage.GetProperty("cache_creation").GetProperty("ephemeral_1h_input_tokens").GetInt64();
        Assert.True(hour > 0 && hour == written, $"the fake wrote {written} tokens, {hour} of them for an hour");

        var prices = host.Front.Services.GetRequiredService<PriceTable>();
        var output = stream ? 0 : usage.GetProperty("output_tokens").GetInt64();
        if (stream)
        {
            var delta = text.Split('\n').Last(l => l.StartsWith("data: {\"type\":\"message_delta\"", StringComparison.Ordinal));
            output = Json.Parse(delta["data: ".Length..]).GetProperty("usage").GetProperty("output_tokens").GetInt64();
        }
        var input = usage.GetProperty("input_tokens").GetInt64();
        var expected = Math.Round(prices.Cost("claude-sonnet-4-5", input, output, written, 0, hour), 8, MidpointRounding.AwayFromZero);
        var fiveMinuteRate = Math.Round(prices.Cost("claude-sonnet-4-5", input, output, written, 0), 8, MidpointRounding.AwayFromZero);
        Assert.True(expected > fiveMinuteRate);

        var clock = Stopwatch.StartNew();
        while (await host.SpendAsync(key) != expected && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        Assert.Equal(expected, await host.SpendAsync(key));
    }
}
