using System.Diagnostics;
using System.Net;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>
/// Virtual keys, audit in a real Postgres: a request served by an OpenAI-compatible provider is
/// admitted, settled, budgeted and audited exactly like one served by the Anthropic provider: the
/// row holds what the client was told (in Anthropic's terms), the key's spend is the priced usage,
/// and the session counts both.
/// </summary>
public sealed class OpenAiProviderAccountingTests : IAsyncLifetime
{
    private FakeUpstreamServer _upstream = null!;
    private TestPostgres _database = null!;
    private FrontHost _front = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { OpenAiCachedPromptTokens = 5 });
        _database = await TestPostgres.CreateAsync();
        // Haiku goes to the OpenAI-compatible provider under its own name, so both paths are priced from the same table.
        _front = await RoutingHost.StartWithKeysAsync(OpenAiProviderHost.Providers(_upstream.BaseAddress, "claude-haiku-*"),
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

    private const string ToolRequest = """
        {"model":"MODEL","max_tokens":64,"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
         "messages":[{"role":"user","content":"Use the tool for Paris"}]}
        """;

    [Fact]
    public async Task Usage_rows_spend_and_session_are_settled_the_same_way_for_both_kinds_of_provider()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, billingTag: "cc-openai");
        var session = "session-" + Guid.NewGuid().ToString("N")[..8];
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);

        var told = new Dictionary<string, (long Input, long Output, long CacheRead, string Model)>();
        foreach (var (model, stream) in new[] { ("claude-sonnet-4-5", false), ("claude-haiku-4-5", false), ("claude-haiku-4-5", true) })
        {
            var body = ToolRequest.Replace("MODEL", model);
            if (stream)
            {
                body = body.Replace("\"max_tokens\":64", "\"max_tokens\":64,\"stream\":true");
            }
            using var response = await client.PostAsync("v1/messages", Json.Body(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            var requestId = response.Headers.GetValues("request-id").Single();
            var usage = stream
                ? Json.Parse(text.Split('\n').Last(l => l.StartsWith("data:") && l.Contains("message_delta"))["data: ".Length..]).GetProperty("usage")
                : Json.Parse(text).GetProperty("usage");
            told[requestId] = (usage.GetProperty("input_tokens").GetInt64(), usage.GetProperty("output_tokens").GetInt64(),
                usage.GetProperty("cache_read_input_tokens").GetInt64(), model);
        }

        var rows = await ReadRowsAsync(3);
        var prices = _front.Services.GetRequiredService<PriceTable>();
        foreach (var row in rows)
        {
            var (input, output, cacheRead, model) = told[(string)row["request_id"]];
            var openAi = model.StartsWith("claude-haiku", StringComparison.Ordinal);
            Assert.Equal(openAi ? "oai" : "anthropic", row["provider"]);
            Assert.Equal(openAi ? "oai-1" : "ant-1", row["upstream_key_id"]);
            Assert.Equal(key.KeyId, row["key_id"]);
            Assert.Equal("cc-openai", row["billing_tag"]);
            Assert.Equal(session, row["session_id"]);
            Assert.Equal(model, row["model_requested"]);
            Assert.Equal(model, row["model_served"]);
            Assert.Equal(200, row["status"]);
            Assert.Equal(input, row["input_tokens"]);
            Assert.Equal(output, row["output_tokens"]);
            Assert.Equal(cacheRead, row["cache_read_tokens"]);
            Assert.Equal(openAi ? 5L : 0L, cacheRead);
            Assert.Equal(new[] { "get_weather" }, (string[])row["tool_names"]);
            Assert.True(input > 0 && output > 0);
            Assert.Equal(prices.Cost(model, input, output, 0, cacheRead), (decimal)row["cost_usd"]);
        }

        // The key's budget was charged the priced usage of all three, whichever provider served them.
        var cost = rows.Sum(r => (decimal)r["cost_usd"]);
        var grains = _front.Services.GetRequiredService<IGrainFactory>();
        var clock = Stopwatch.StartNew();
        KeyUsageView usageView;
        while ((usageView = await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()).SpentTodayUsd != cost && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }
        Assert.Equal(cost, usageView.SpentTodayUsd);
        await EventuallyAsync($"SELECT requests, input_tokens, output_tokens, cost_usd FROM session_usage WHERE session_id = '{session}'",
            [3L, rows.Sum(r => (long)r["input_tokens"]), rows.Sum(r => (long)r["output_tokens"]), cost]);
    }

    [Fact]
    public async Task An_upstream_error_from_the_openai_provider_is_audited_with_its_anthropic_type_and_charges_nothing()
    {
        using var admin = _front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = new HttpClient { BaseAddress = _front.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", key.Secret);
        _upstream.Faults.Enqueue("429", 1);

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", "claude-haiku-4-5")));
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));

        var row = Assert.Single(await ReadRowsAsync(1));
        Assert.Equal(429, row["status"]);
        Assert.Equal("rate_limit_error", row["error_type"]);
        Assert.Equal("oai", row["provider"]);
        Assert.Equal(0L, row["input_tokens"]);
        Assert.Equal(0m, (decimal)row["cost_usd"]);
        await Task.Delay(300);
        var usage = await _front.Services.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
        Assert.Equal(0m, usage.SpentTodayUsd);
    }

    private async Task EventuallyAsync(string sql, object[] expected)
    {
        var clock = Stopwatch.StartNew();
        object[] actual = [];
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await using var command = _database.DataSource.CreateCommand(sql);
            await using var reader = await command.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                actual = Enumerable.Range(0, reader.FieldCount).Select(reader.GetValue).ToArray();
                if (actual.SequenceEqual(expected))
                {
                    return;
                }
            }
            await Task.Delay(100);
        }
        Assert.Equal(expected, actual);
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
