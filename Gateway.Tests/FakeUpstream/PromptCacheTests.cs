using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

public sealed class PromptCacheTests
{
    private const string System = """[{"type":"text","text":"You are a careful assistant. Long stable instructions go here.","cache_control":{"type":"ephemeral"}}]""";

    private static string Request(string messages, bool stream = false) =>
        $$"""{"model":"claude-sonnet-4-5","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"system":{{System}},"messages":{{messages}}}""";

    private static int Tokens(string body) => (Encoding.UTF8.GetByteCount(body) + 3) / 4;

    private static async Task<(int Input, int Creation, int Read)> UsageAsync(HttpClient http, string body)
    {
        using var response = await http.SendAsync(Post("v1/messages", body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var usage = (await JsonAsync(response)).GetProperty("usage");
        return (usage.GetProperty("input_tokens").GetInt32(),
            usage.GetProperty("cache_creation_input_tokens").GetInt32(),
            usage.GetProperty("cache_read_input_tokens").GetInt32());
    }

    [Fact]
    public async Task First_request_writes_the_cache_and_the_second_reads_it()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Request("""[{"role":"user","content":"Hello"}]""");

        var first = await UsageAsync(http, body);
        var second = await UsageAsync(http, body);

        Assert.True(first.Creation > 0);
        Assert.Equal(0, first.Read);
        Assert.Equal(0, second.Creation);
        Assert.Equal(first.Creation, second.Read);
        // The cached part is billed apart: input + cached always adds up to the whole estimate.
        Assert.Equal(Tokens(body), first.Input + first.Creation);
        Assert.Equal(Tokens(body), second.Input + second.Read);
    }

    [Fact]
    public async Task Moving_the_breakpoint_forward_reads_the_previous_turn_and_writes_the_new_part()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        // Claude Code's pattern: each turn the marker moves to the newest message.
        var turn1 = Request("""[{"role":"user","content":[{"type":"text","text":"Hello","cache_control":{"type":"ephemeral"}}]}]""");
        var turn2 = Request("""[{"role":"user","content":[{"type":"text","text":"Hello"}]},{"role":"assistant","content":"Hi!"},{"role":"user","content":[{"type":"text","text":"More please","cache_control":{"type":"ephemeral"}}]}]""");

        var systemOnly = await UsageAsync(http, Request("""[{"role":"user","content":"x"}]"""));
        var first = await UsageAsync(http, turn1);
        var second = await UsageAsync(http, turn2);

        Assert.Equal(systemOnly.Creation, first.Read); // the system breakpoint was already cached
        Assert.True(first.Creation > 0);
        Assert.True(second.Read > first.Read, $"turn 2 read {second.Read}, turn 1 read {first.Read}"); // found turn 1's prefix
        Assert.True(second.Creation > 0);
        Assert.Equal(Tokens(turn2), second.Input + second.Creation + second.Read);
    }

    [Fact]
    public async Task Breakpoints_shorter_than_the_minimum_are_ignored()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { MinCacheablePrefixTokens = 100_000 });
        using var http = Client(server);
        var body = Request("""[{"role":"user","content":"Hello"}]""");

        var first = await UsageAsync(http, body);
        var second = await UsageAsync(http, body);

        Assert.Equal((Tokens(body), 0, 0), first);
        Assert.Equal((Tokens(body), 0, 0), second);
    }

    [Fact]
    public async Task Cache_entries_expire_after_five_minutes()
    {
        var clock = new ManualTimeProvider();
        await using var server = await FakeUpstreamServer.StartWithStateAsync(new FakeUpstreamState(time: clock));
        using var http = Client(server);
        var body = Request("""[{"role":"user","content":"Hello"}]""");

        var first = await UsageAsync(http, body);
        clock.Advance(TimeSpan.FromMinutes(4));
        var refreshed = await UsageAsync(http, body);
        clock.Advance(TimeSpan.FromMinutes(4)); // 8 min after the write, 4 after the refreshing hit
        var stillCached = await UsageAsync(http, body);
        clock.Advance(TimeSpan.FromMinutes(6));
        var expired = await UsageAsync(http, body);

        Assert.Equal(first.Creation, refreshed.Read);
        Assert.Equal(first.Creation, stillCached.Read);
        Assert.Equal(first.Creation, expired.Creation);
        Assert.Equal(0, expired.Read);
    }

    [Fact]
    public async Task Streaming_message_start_reports_cache_usage()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Request("""[{"role":"user","content":"Hello"}]""", stream: true);
        using (await http.SendAsync(Post("v1/messages", body))) { }

        using var response = await http.SendAsync(Post("v1/messages", body), HttpCompletionOption.ResponseHeadersRead);
        var (events, _) = await ReadEventsAsync(response, Stopwatch.StartNew());

        var usage = events[0].Json.GetProperty("message").GetProperty("usage");
        Assert.True(usage.GetProperty("cache_read_input_tokens").GetInt32() > 0);
        Assert.Equal(0, usage.GetProperty("cache_creation_input_tokens").GetInt32());
    }

    [Fact]
    public async Task More_than_four_breakpoints_is_rejected_with_anthropics_wording()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        const string marked = """{"type":"text","text":"t","cache_control":{"type":"ephemeral"}}""";
        var body = $$$"""
            {"model":"claude-sonnet-4-5","max_tokens":10,"cache_control":{"type":"ephemeral"},
             "tools":[{"name":"a","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],
             "system":[{{{marked}}},{{{marked}}}],
             "messages":[{"role":"user","content":[{{{marked}}}]}]}
            """;

        using var response = await http.SendAsync(Post("v1/messages", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await JsonAsync(response);
        Assert.Equal("invalid_request_error", json.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("A maximum of 4 blocks with cache_control may be provided. Found 5.", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Four_breakpoints_are_accepted()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        const string marked = """{"type":"text","text":"t","cache_control":{"type":"ephemeral","ttl":"1h"}}""";
        var body = $$$"""{"model":"m","max_tokens":10,"system":[{{{marked}}},{{{marked}}},{{{marked}}}],"messages":[{"role":"user","content":[{{{marked}}}]}]}""";

        var usage = await UsageAsync(http, body);

        Assert.True(usage.Creation > 0);
    }
}
