using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

public sealed class StreamingTests
{
    [Fact]
    public async Task Events_come_in_anthropic_order_with_cumulative_usage()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = Body(stream: true);

        using var response = await http.SendAsync(Post("v1/messages?beta=true", body), HttpCompletionOption.ResponseHeadersRead);
        var (events, error) = await ReadEventsAsync(response, Stopwatch.StartNew());

        Assert.Null(error);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.StartsWith("req_", Header(response, "request-id"));

        string[] expected =
        [
            "message_start", "content_block_start", "ping",
            .. Enumerable.Repeat("content_block_delta", 12),
            "content_block_stop", "message_delta", "message_stop",
        ];
        Assert.Equal(expected, events.Select(e => e.Name));
        foreach (var e in events)
        {
            Assert.Equal(e.Name, e.Json.GetProperty("type").GetString());
        }

        var start = events[0].Json.GetProperty("message");
        Assert.StartsWith("msg_", start.GetProperty("id").GetString());
        Assert.Equal("claude-sonnet-4-5-20250929", start.GetProperty("model").GetString());
        Assert.Equal(0, start.GetProperty("content").GetArrayLength());
        var startUsage = start.GetProperty("usage");
        Assert.Equal((Encoding.UTF8.GetByteCount(body) + 3) / 4, startUsage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(0, startUsage.GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal(0, startUsage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(1, startUsage.GetProperty("output_tokens").GetInt32());

        Assert.Equal("""{"type": "ping"}""", events[2].Data);
        var text = string.Concat(events.Where(e => e.Name == "content_block_delta")
            .Select(e => e.Json.GetProperty("delta")).Select(d => { Assert.Equal("text_delta", d.GetProperty("type").GetString()); return d.GetProperty("text").GetString(); }));
        Assert.Equal(server.Options.ReplyText, text);

        var delta = events[^2].Json;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(12, delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Events_are_flushed_one_by_one_with_the_configured_delay()
    {
        const int delayMs = 50;
        await using var server = await FakeUpstreamServer.StartAsync(new() { EventDelayMs = delayMs, OutputTokens = 4 });
        using var http = Client(server);
        var clock = Stopwatch.StartNew();

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true)), HttpCompletionOption.ResponseHeadersRead);
        var (events, error) = await ReadEventsAsync(response, clock);

        Assert.Null(error);
        Assert.Equal(10, events.Count); // start, block start, ping, 4 deltas, block stop, message_delta, stop
        var gaps = events.Zip(events.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).ToArray();
        // Buffering anywhere would bunch events together: the spread must match the server's pacing.
        Assert.True(events[^1].At - events[0].At >= TimeSpan.FromMilliseconds(delayMs * gaps.Length * 0.8),
            $"events spread over {(events[^1].At - events[0].At).TotalMilliseconds} ms");
        Assert.True(gaps.Count(g => g >= delayMs / 2) >= gaps.Length * 0.8, "gaps: " + string.Join(", ", gaps.Select(g => g.ToString("F0"))));
    }

    [Fact]
    public async Task Event_delay_can_change_while_running()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { OutputTokens = 2 });
        using var http = Client(server);

        var fast = Stopwatch.StartNew();
        using (var first = await http.SendAsync(Post("v1/messages", Body(stream: true)), HttpCompletionOption.ResponseHeadersRead))
        {
            await ReadEventsAsync(first, fast);
        }
        fast.Stop();

        server.Options.EventDelayMs = 40;
        var slow = Stopwatch.StartNew();
        using var second = await http.SendAsync(Post("v1/messages", Body(stream: true)), HttpCompletionOption.ResponseHeadersRead);
        var (events, _) = await ReadEventsAsync(second, slow);

        Assert.Equal(8, events.Count);
        Assert.True(slow.Elapsed >= TimeSpan.FromMilliseconds(7 * 40 * 0.8), $"slow run took {slow.ElapsedMilliseconds} ms");
        Assert.True(fast.Elapsed < slow.Elapsed);
    }

    [Fact]
    public async Task A_request_header_sets_the_event_interval_and_asks_for_send_stamps()
    {
        // The server's own delay is 0: the pacing below comes from the request alone.
        await using var server = await FakeUpstreamServer.StartAsync(new() { OutputTokens = 3 });
        using var http = Client(server);
        using var request = Post("v1/messages", Body(stream: true));
        request.Headers.Add(FakeUpstreamHeaders.EventIntervalMs, "30");
        request.Headers.Add(FakeUpstreamHeaders.SendStamps, "1");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var raw = await response.Content.ReadAsStringAsync();

        var blocks = raw.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(9, blocks.Length); // start, block start, ping, 3 deltas, block stop, message_delta, stop
        var stamps = blocks.Select(b =>
        {
            var lines = b.Split('\n');
            Assert.StartsWith(": sent-ns ", lines[0]);
            Assert.StartsWith("event: ", lines[1]);
            return long.Parse(lines[0][": sent-ns ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }).ToArray();
        // Stamped from the same monotonic clock as Stopwatch here, in ns, at least the interval apart.
        var now = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        Assert.All(stamps, s => Assert.InRange(s, now - 60_000_000_000L, now));
        var gaps = stamps.Zip(stamps.Skip(1), (a, b) => (b - a) / 1_000_000.0).ToArray();
        Assert.True(gaps.All(g => g >= 25), "gaps ms: " + string.Join(", ", gaps.Select(g => g.ToString("F1"))));
    }

    [Fact]
    public async Task Without_the_stamp_header_events_carry_no_comment_lines()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { OutputTokens = 2 });
        using var http = Client(server);
        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true)), HttpCompletionOption.ResponseHeadersRead);
        var raw = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("event: message_start\n", raw);
        Assert.DoesNotContain("\n:", raw);
    }

    [Fact]
    public async Task Tool_use_streams_input_json_deltas()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var body = """
            {"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,
             "tools":[{"name":"Bash","description":"run","input_schema":{"type":"object"}}],
             "messages":[{"role":"user","content":"run the Bash tool please"}]}
            """;

        using var response = await http.SendAsync(Post("v1/messages", body), HttpCompletionOption.ResponseHeadersRead);
        var (events, error) = await ReadEventsAsync(response, Stopwatch.StartNew());

        Assert.Null(error);
        var block = events.Single(e => e.Name == "content_block_start").Json.GetProperty("content_block");
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.Equal("Bash", block.GetProperty("name").GetString());
        Assert.StartsWith("toolu_", block.GetProperty("id").GetString());

        var partial = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e =>
        {
            var delta = e.Json.GetProperty("delta");
            Assert.Equal("input_json_delta", delta.GetProperty("type").GetString());
            return delta.GetProperty("partial_json").GetString();
        }));
        Assert.Equal(System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonDocument.Parse(partial).RootElement.ValueKind);
        Assert.Equal("tool_use", events.Single(e => e.Name == "message_delta").Json.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal("message_stop", events[^1].Name);
    }

    [Fact]
    public async Task Streaming_honours_max_tokens()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { OutputTokens = 20 });
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true, maxTokens: 5)), HttpCompletionOption.ResponseHeadersRead);
        var (events, _) = await ReadEventsAsync(response, Stopwatch.StartNew());

        var delta = events.Single(e => e.Name == "message_delta").Json;
        Assert.Equal("max_tokens", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(5, delta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.True(events.Count(e => e.Name == "content_block_delta") <= 5);
    }

    [Fact]
    public async Task A_client_leaving_mid_stream_is_counted_but_fault_resets_are_not()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new() { EventDelayMs = 100, OutputTokens = 50 });
        // No draining on dispose: by default HttpClient reads on for up to 2 s to reuse the connection.
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress };

        using (var reset = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "reset-mid-stream"), HttpCompletionOption.ResponseHeadersRead))
        {
            await ReadEventsAsync(reset, Stopwatch.StartNew());
        }
        using (var response = await http.SendAsync(Post("v1/messages", Body(stream: true)), HttpCompletionOption.ResponseHeadersRead))
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            Assert.True(await stream.ReadAsync(new byte[256]) > 0);
        } // disposing mid-stream closes the connection

        var clock = Stopwatch.StartNew();
        while (server.AbortedRequests == 0 && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10);
        }
        Assert.Equal(1, server.AbortedRequests);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"noticed after {clock.ElapsedMilliseconds} ms");
    }
}
