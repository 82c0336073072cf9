using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Bedrock;

/// <summary>
/// Virtual keys and audit in a real Postgres: a request served by Amazon Bedrock is settled, budgeted and audited
/// exactly like one served by Anthropic, through <c>/v1/messages</c> and through the Bedrock ingress alike: the row
/// holds what the client was told, the key's spend is the priced usage, a throttled request charges nothing.
/// </summary>
public sealed class BedrockAccountingTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private TestPostgres _database = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync();
        _database = await TestPostgres.CreateAsync();
        _front = await RoutingHost.StartWithKeysAsync(BedrockHost.Providers(_upstream.BaseAddress),
            new Dictionary<string, string?>
            {
                ["Postgres:ConnectionString"] = _database.ConnectionString,
                ["Audit:FlushInterval"] = "00:00:00.050",
            });
    }

    public async Task DisposeAsync()
    {
        await _front.DisposeAsync();
        await _database.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Bedrock_routed_requests_are_audited_and_charged_like_anthropic_ones()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, billingTag: "bedrock");
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);

        using (var streamed = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            await streamed.Content.ReadAsStringAsync();
        }
        using (var plain = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        }
        using (var ingress = await client.PostAsync("model/" + BedrockHost.SonnetId + "/invoke-with-response-stream",
            Json.Body("""{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, ingress.StatusCode);
            await ingress.Content.ReadAsByteArrayAsync();
        }

        var rows = await ReadRowsAsync(3);
        var prices = _front.Services.GetRequiredService<PriceTable>();
        foreach (var row in rows)
        {
            Assert.Equal("aws", row["provider"]);
            Assert.Equal("aws-" + BedrockHost.Region, row["upstream_key_id"]);
            Assert.Equal(key.KeyId, row["key_id"]);
            Assert.Equal("bedrock", row["billing_tag"]);
            Assert.Equal(200, row["status"]);
            Assert.True((long)row["input_tokens"] > 0 && (long)row["output_tokens"] > 0);
            var model = (string)row["model_requested"];
            Assert.Equal(prices.Cost(model, (long)row["input_tokens"], (long)row["output_tokens"], 0, 0), (decimal)row["cost_usd"]);
        }
        Assert.Equal(["bedrock_invoke", "messages", "messages"], rows.Select(r => (string)r["endpoint"]).Order().ToArray());
        Assert.Contains(rows, r => (string)r["model_requested"] == "claude-sonnet-4-5-20250929"); // the ingress id, mapped back

        var cost = rows.Sum(r => (decimal)r["cost_usd"]);
        var grains = _front.Services.GetRequiredService<IGrainFactory>();
        var clock = Stopwatch.StartNew();
        KeyUsageView usage;
        while ((usage = await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()).SpentTodayUsd != cost && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }
        Assert.Equal(cost, usage.SpentTodayUsd);
    }

    [Fact]
    public async Task A_throttled_bedrock_request_is_audited_as_a_rate_limit_and_charges_nothing()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        _upstream.Faults.Enqueue("429", 1);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));

        var row = Assert.Single(await ReadRowsAsync(1));
        Assert.Equal(429, row["status"]);
        Assert.Equal("rate_limit_error", row["error_type"]);
        Assert.Equal("aws", row["provider"]);
        Assert.Equal(0m, (decimal)row["cost_usd"]);
    }

    private async Task<List<Dictionary<string, object>>> ReadRowsAsync(int expected)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var rows = new List<Dictionary<string, object>>();
            await using (var command = _database.DataSource.CreateCommand("SELECT * FROM request_log ORDER BY at"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, reader.GetValue));
                }
            }
            if (rows.Count >= expected || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Equal(expected, rows.Count);
                return rows;
            }
            await Task.Delay(100);
        }
    }
}
