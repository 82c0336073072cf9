using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Routing;

/// <summary>Rules pick the provider by model (exact, glob, weights) and may rewrite the model (alias).</summary>
public sealed class RoutingRuleTests : IAsyncLifetime
{
    private FakeUpstreamServer _a = null!;
    private FakeUpstreamServer _b = null!;

    public async Task InitializeAsync()
    {
        _a = await FakeUpstreamServer.StartAsync();
        _b = await FakeUpstreamServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private Task<FrontHost> StartAsync(Dictionary<string, string?> rules) => RoutingHost.StartPassThroughAsync(
        RoutingHost.Provider(0, "a", _a.BaseAddress, ("a1", "sk-a-1")),
        RoutingHost.Provider(1, "b", _b.BaseAddress, ("b1", "sk-b-1")),
        rules);

    [Fact]
    public async Task First_matching_rule_wins_globs_match_and_unmatched_models_go_to_the_first_provider()
    {
        await using var front = await StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Rules:0:Match"] = "claude-opus-4-1",
            ["Routing:Rules:0:Provider"] = "a",
            ["Routing:Rules:1:Match"] = "claude-opus-*",
            ["Routing:Rules:1:Provider"] = "b",
            ["Routing:Rules:2:Match"] = "CLAUDE-HAIKU-?-5",
            ["Routing:Rules:2:Provider"] = "b",
        });
        using var client = front.CreateClient();

        async Task<string> Served(string model)
        {
            _a.ClearReceived();
            _b.ClearReceived();
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", model)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return _a.Received.Count == 1 ? "a" : _b.Received.Count == 1 ? "b" : "none";
        }

        Assert.Equal("a", await Served("claude-opus-4-1")); // exact rule first
        Assert.Equal("b", await Served("claude-opus-4-5")); // glob
        Assert.Equal("b", await Served("claude-haiku-4-5")); // case-insensitive, '?'
        Assert.Equal("a", await Served("claude-sonnet-4-5")); // no rule: first provider
        Assert.Equal("sk-b-1", RoutingHost.KeyOf((await ServedRequest(client, "claude-opus-4-5"))));

        async Task<RecordedRequest> ServedRequest(HttpClient c, string model)
        {
            _b.ClearReceived();
            using var response = await c.PostAsync("v1/messages", Json.Body(Json.SmallRequest.Replace("claude-sonnet-4-5", model)));
            return _b.Received.Single();
        }
    }

    [Fact]
    public async Task An_alias_rewrites_only_the_model_value_and_every_other_byte_reaches_the_upstream_unchanged()
    {
        await using var front = await StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Rules:0:Match"] = "claude-sonnet-*",
            ["Routing:Rules:0:Provider"] = "b",
            ["Routing:Rules:0:Alias"] = "claude-sonnet-4-5-20250929",
        });
        using var client = front.CreateClient();
        // Unknown fields, odd whitespace, a nested "model" key and an escaped character all survive.
        var body = "{ \"thinking\" : {\"type\":\"enabled\",\"budget_tokens\":1024},\n  \"model\" :  \"claude-sonnet-4-5\" ,"
            + "\"max_tokens\":64,\"metadata\":{\"model\":\"keep-me\"},\"context_management\":{\"edits\":[]},"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"caf\\u00e9 \\\"model\\\": x\"}]}";

        using var response = await client.PostAsync("v1/messages", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Encoding.UTF8.GetString(_b.Received.Single().Body);
        Assert.Equal(body.Replace("\"claude-sonnet-4-5\" ,", "\"claude-sonnet-4-5-20250929\" ,"), sent);
        Assert.Empty(_a.Received);
    }

    [Fact]
    public async Task Rules_with_the_same_match_split_traffic_by_weight()
    {
        await using var front = await StartAsync(new Dictionary<string, string?>
        {
            ["Routing:Rules:0:Match"] = "claude-sonnet-*",
            ["Routing:Rules:0:Provider"] = "a",
            ["Routing:Rules:0:Weight"] = "3",
            ["Routing:Rules:1:Match"] = "claude-sonnet-*",
            ["Routing:Rules:1:Provider"] = "b",
            ["Routing:Rules:1:Weight"] = "1",
            ["Routing:Rules:1:Alias"] = "b-sonnet",
        });
        using var client = front.CreateClient();
        const int total = 400;
        var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, total).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            finally
            {
                gate.Release();
            }
        }));
        var toB = _b.Received.Count(r => r.Method == "POST");
        Assert.Equal(total, toB + _a.Received.Count(r => r.Method == "POST"));
        Assert.InRange(toB, 60, 140); // expected 100 (1 in 4)
        Assert.All(_b.Received, r => Assert.Contains("\"model\":\"b-sonnet\"", Encoding.UTF8.GetString(r.Body)));
        Assert.All(_a.Received, r => Assert.Contains("\"model\":\"claude-sonnet-4-5\"", Encoding.UTF8.GetString(r.Body)));
    }

    [Fact]
    public async Task The_most_expensive_model_a_request_may_be_served_as_covers_every_weighted_route_and_fallback()
    {
        await using var front = await StartAsync(new Dictionary<string, string?>
        {
            // A cheap-looking name aliased to an expensive model on one of two weighted routes, with a fallback.
            ["Routing:Rules:0:Match"] = "team-fast",
            ["Routing:Rules:0:Provider"] = "a",
            ["Routing:Rules:0:Alias"] = "claude-haiku-4-5",
            ["Routing:Rules:0:Weight"] = "9",
            ["Routing:Rules:0:Fallbacks:0"] = "b",
            ["Routing:Rules:1:Match"] = "team-fast",
            ["Routing:Rules:1:Provider"] = "b",
            ["Routing:Rules:1:Alias"] = "claude-opus-4-1",
            ["Routing:Rules:1:Weight"] = "1",
        });
        var routes = front.Services.GetRequiredService<Gateway.Front.Routing.RouteTable>();
        var prices = new Dictionary<string, decimal> { ["claude-haiku-4-5"] = 1m, ["claude-opus-4-1"] = 15m, ["team-fast"] = 3m, ["claude-sonnet-4-5"] = 3m };

        // Every weighted route and its fallbacks count, whichever the pick would take.
        Assert.Equal(15m, routes.MostExpensive("team-fast", team: null, model => prices[model]));
        // A model no rule matches is priced as itself.
        Assert.Equal(3m, routes.MostExpensive("claude-sonnet-4-5", team: null, model => prices[model]));
    }
}
