using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;

namespace Gateway.Tests.OpenAi.Provider;

/// <summary>Fallbacks cross provider kinds: each attempt gets the body its provider speaks, and the client one Anthropic answer.</summary>
public sealed class CrossKindFallbackTests
{
    [Fact]
    public async Task An_overloaded_anthropic_provider_falls_back_to_an_openai_one_with_its_alias()
    {
        await using var anthropic = await FakeUpstreamServer.StartAsync();
        await using var openAi = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartPassThroughAsync(
            RoutingHost.Provider(0, "anthropic", anthropic.BaseAddress, ("a1", "sk-a-1")),
            RoutingHost.Provider(1, "oai", openAi.BaseAddress, ("o1", "sk-o-1")),
            new Dictionary<string, string?>
            {
                ["Upstream:Providers:1:Kind"] = "openai",
                // Sonnet traffic split 3:1; each side falls back to the other, the OpenAI side under its own model name.
                ["Routing:Rules:0:Match"] = "claude-sonnet-*",
                ["Routing:Rules:0:Provider"] = "anthropic",
                ["Routing:Rules:0:Weight"] = "1000",
                ["Routing:Rules:0:Fallbacks:0"] = "oai",
                ["Routing:Rules:1:Match"] = "claude-sonnet-*",
                ["Routing:Rules:1:Provider"] = "oai",
                ["Routing:Rules:1:Weight"] = "1",
                ["Routing:Rules:1:Alias"] = "gpt-4o",
                ["Routing:Rules:1:Fallbacks:0"] = "anthropic",
            });
        anthropic.Faults.Enqueue("529", 1);
        using var client = front.CreateClient();

        // Drawn to the Anthropic side (1000 times in 1001): its 529 moves the request to the OpenAI side, which serves it.
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("event: message_stop", text);

        var messages = anthropic.Received.Where(r => r.Method == "POST").ToList();
        var chats = openAi.Received.Where(r => r.Method == "POST").ToList();
        Assert.True(messages.Count <= 1);
        Assert.Single(chats);
        Assert.All(messages, m => Assert.Equal(Json.SmallStreamingRequest, Encoding.UTF8.GetString(m.Body)));
        var chat = Json.Parse(Encoding.UTF8.GetString(chats[0].Body));
        Assert.Equal("/v1/chat/completions", chats[0].PathAndQuery);
        Assert.Equal("gpt-4o", chat.GetProperty("model").GetString());
        Assert.Equal("Bearer sk-o-1", chats[0].Headers["Authorization"]);
        Assert.All(messages, m => Assert.Equal("sk-a-1", m.Headers["x-api-key"]));
    }
}
