using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Grains.Pricing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// One front with virtual keys, keys, spend and audit in a real Postgres, in front of the fake upstream
/// (default body limit, so a 100 KB model reaches the envelope reader): shared by the hostile-string,
/// settlement-isolation and usage-reader tests, each of which makes its own keys. Keeps a ledger of
/// what each key's clients were told they used, to compare with what Postgres charged.
/// </summary>
public sealed class HostileStringHost : TenantFrontHost
{
    protected override TimeSpan ClientTimeout => TimeSpan.FromSeconds(60);

    /// <summary>
    /// Sends a well-formed non-streaming request and returns what the client was told it used, priced as
    /// the grain prices it (served model, the table's rates, eight decimals).
    /// </summary>
    public async Task<decimal> ChargedRequestAsync(HttpClient client, string body = Json.SmallRequest)
    {
        using var response = await client.PostAsync("v1/messages", Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {(text.Length > 300 ? text[..300] : text)}");
        return PriceOf(text);
    }

    /// <summary>The cost of a Message body's usage, as the key's grain prices it.</summary>
    public decimal PriceOf(string messageJson)
    {
        using var document = JsonDocument.Parse(messageJson, new JsonDocumentOptions { MaxDepth = 1024 });
        var root = document.RootElement;
        var usage = root.GetProperty("usage");
        long Tokens(string name) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        var prices = Front.Services.GetRequiredService<PriceTable>();
        var cost = prices.Cost(root.GetProperty("model").GetString()!, Tokens("input_tokens"), Tokens("output_tokens"),
            Tokens("cache_creation_input_tokens"), Tokens("cache_read_input_tokens"));
        Assert.True(cost > 0, "the reply reported no usage to price");
        return Math.Round(cost, 8, MidpointRounding.AwayFromZero);
    }

    /// <summary>Waits until the key's spend in Postgres is <paramref name="expected"/> and it has <paramref name="rows"/> audit rows (and as many charges, unless <paramref name="charges"/> says otherwise); asserts it.</summary>
    internal async Task AssertChargedAsync(GatewayKeys.CreatedKey key, decimal expected, long rows, long? charges = null)
    {
        var clock = Stopwatch.StartNew();
        while ((await SpendAsync(key) != expected || await RowsAsync(key) != rows) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        Assert.Equal(expected, await SpendAsync(key));
        Assert.Equal(rows, await RowsAsync(key));
        Assert.Equal(charges ?? rows, await ChargesAsync(key.KeyId));
    }
}
