using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.FakeUpstream;
using Gateway.Front.Buffers;
using Gateway.Front.Rewrite;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.Rewrite;

/// <summary>
/// Rewritten bodies sent to the fake upstream, which rejects more than four breakpoints with Anthropic's
/// exact 400 and simulates the prompt cache (a breakpoint writes its prefix; a later request whose prefix
/// matches reads it).
/// </summary>
public sealed class CacheInjectionUpstreamTests
{
    private static readonly string LongSystem = string.Concat(Enumerable.Repeat("You are a meticulous assistant; follow the house style. ", 120));

    private static string SdkBody(string messages) => new JsonObject
    {
        ["model"] = "claude-sonnet-4-5",
        ["max_tokens"] = 256,
        ["system"] = LongSystem,
        ["tools"] = JsonNode.Parse("""[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]"""),
        ["messages"] = JsonNode.Parse(messages),
    }.ToJsonString();

    private static byte[] Rewrite(byte[] body, string model = "claude-sonnet-4-5")
    {
        var injector = new CacheInjector(new CacheInjectionOptions());
        using var output = new PooledBufferWriter();
        return injector.TryRewrite(body, model, CachePolicy.Default, output, out _) ? output.WrittenSpan.ToArray() : body;
    }

    private static async Task<(HttpStatusCode Status, int Input, int Creation, int Read, string Text)> SendAsync(HttpClient http, byte[] body)
    {
        using var response = await http.SendAsync(Post("v1/messages", Encoding.UTF8.GetString(body)));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, 0, 0, 0, text);
        }
        // Claude Code's bodies ask for a stream: the usage is then in message_start.
        var usage = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? JsonNode.Parse(text.Split('\n').First(line => line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"message_start\""))["data: ".Length..])!["message"]!["usage"]!
            : JsonNode.Parse(text)!["usage"]!;
        return (response.StatusCode, (int)usage["input_tokens"]!, (int)usage["cache_creation_input_tokens"]!, (int)usage["cache_read_input_tokens"]!, text);
    }

    [Fact]
    public async Task A_client_that_sets_no_breakpoints_reads_the_cache_on_the_second_identical_request()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var original = Encoding.UTF8.GetBytes(SdkBody("""[{"role":"user","content":"Weather in Paris?"}]"""));

        var plain = await SendAsync(http, original);
        Assert.Equal((HttpStatusCode.OK, 0, 0), (plain.Status, plain.Creation, plain.Read)); // without injection: no caching at all

        var rewritten = Rewrite(original);
        Assert.NotEqual(original, rewritten);
        var first = await SendAsync(http, rewritten);
        var second = await SendAsync(http, rewritten);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.True(first.Creation > 0);
        Assert.Equal(0, first.Read);
        Assert.Equal(0, second.Creation);
        Assert.Equal(first.Creation, second.Read);
    }

    [Fact]
    public async Task The_rolling_breakpoint_lets_the_next_turn_read_the_previous_turns_prefix()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        const string turn1 = """[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18 degrees, light rain, wind from the west at 12 km/h"}]}]""";
        const string turn2 = """[{"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18 degrees, light rain, wind from the west at 12 km/h"}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Lyon"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"21 degrees, sunny"}]}]""";

        var first = await SendAsync(http, Rewrite(Encoding.UTF8.GetBytes(SdkBody(turn1))));
        var second = await SendAsync(http, Rewrite(Encoding.UTF8.GetBytes(SdkBody(turn2))));

        Assert.Equal(0, first.Read);
        // Everything turn 1 wrote, up to its latest user turn. (The fake sizes a block by its JSON, marker
        // included: turn 1's tool_result carried the 36-byte marker, turn 2's copy of it does not.)
        var marker = ",\"cache_control\":{\"type\":\"ephemeral\"}".Length / 4;
        Assert.Equal(first.Creation - marker, second.Read);
        Assert.True(second.Creation > 0); // and turn 2 writes only its new part
        Assert.True(second.Creation < first.Creation);
    }

    [Theory]
    [MemberData(nameof(CacheInjectorFixtureTests.Fixtures), MemberType = typeof(CacheInjectorFixtureTests))]
    public async Task Rewritten_claude_code_bodies_are_accepted_and_cached(string name)
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = RewriteKit.Fixture(name);
        var model = (string)JsonNode.Parse(body)!["model"]!;
        var rewritten = Rewrite(body, model);

        var first = await SendAsync(http, rewritten);
        var second = await SendAsync(http, rewritten);
        Assert.True(first.Status == HttpStatusCode.OK, first.Text);
        if (BreakpointAudit.Count(rewritten) > 0)
        {
            Assert.True(second.Read > 0);
            Assert.Equal(0, second.Creation);
        }
    }

    [Fact]
    public async Task The_fake_does_reject_a_fifth_breakpoint_so_the_test_above_means_something()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var node = JsonNode.Parse(RewriteKit.Fixture("messages-after-tool.json"))!;
        node["tools"]![0]!["cache_control"] = JsonNode.Parse("""{"type":"ephemeral"}""");
        node["tools"]![1]!["cache_control"] = JsonNode.Parse("""{"type":"ephemeral"}""");

        var result = await SendAsync(http, Encoding.UTF8.GetBytes(node.ToJsonString()));
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains("A maximum of 4 blocks with cache_control may be provided. Found 5.", result.Text);
    }
}
