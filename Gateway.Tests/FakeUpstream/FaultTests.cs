using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.FakeUpstream;
using static Gateway.Tests.FakeUpstream.FakeUpstreamTestKit;

namespace Gateway.Tests.FakeUpstream;

[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class FaultTests
{
    [Fact]
    public async Task Fault_429_is_a_rate_limit_error_with_retry_after()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(), fault: "429"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("rate_limit_error", await ErrorTypeAsync(response));
        Assert.Equal("1", Header(response, "retry-after"));
        Assert.Equal("0", Header(response, "anthropic-ratelimit-requests-remaining"));
        Assert.NotNull(Header(response, "anthropic-ratelimit-requests-limit"));
        Assert.NotNull(Header(response, "anthropic-ratelimit-requests-reset"));
    }

    [Theory]
    [InlineData("529", 529, "overloaded_error")]
    [InlineData("500", 500, "api_error")]
    [InlineData("503", 503, "api_error")]
    public async Task Status_faults_answer_in_anthropic_error_shape(string fault, int status, string type)
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: fault));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(type, await ErrorTypeAsync(response));
    }

    [Fact]
    public async Task Queued_faults_hit_the_next_n_api_requests_only()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        server.Faults.Enqueue("529", 2);

        using var probe = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, ""));
        using var first = await http.SendAsync(Post("v1/messages", Body()));
        using var second = await http.SendAsync(Post("v1/messages", Body()));
        using var third = await http.SendAsync(Post("v1/messages", Body()));

        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Equal(529, (int)first.StatusCode);
        Assert.Equal(529, (int)second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Empty(server.Faults.Pending);
    }

    [Fact]
    public async Task Faults_can_be_queued_over_http()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var queued = await http.PostAsync("_fake/faults", new StringContent("""{"fault":"503","count":1}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        Assert.Equal(1, (await JsonAsync(queued)).GetProperty("pending")[0].GetProperty("remaining").GetInt32());

        using var faulted = await http.SendAsync(Post("v1/messages", Body()));
        using var clean = await http.SendAsync(Post("v1/messages", Body()));
        Assert.Equal(503, (int)faulted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, clean.StatusCode);

        using var bad = await http.PostAsync("_fake/faults", new StringContent("""{"fault":"nonsense"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Unknown_fault_header_is_a_bad_request()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(), fault: "explode"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", await ErrorTypeAsync(response));
        Assert.Throws<ArgumentException>(() => server.Faults.Enqueue("explode"));
    }

    [Fact]
    public async Task Slow_first_byte_delays_the_headers()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var clock = Stopwatch.StartNew();

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "slow-first-byte:300"), HttpCompletionOption.ResponseHeadersRead);

        Assert.True(clock.ElapsedMilliseconds >= 280, $"headers after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (events, _) = await ReadEventsAsync(response, clock);
        Assert.Equal("message_stop", events[^1].Name);
    }

    [Fact]
    public async Task Slow_first_byte_combines_with_a_status()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var clock = Stopwatch.StartNew();

        using var response = await http.SendAsync(Post("v1/messages", Body(), fault: "slow-first-byte:150, 529"));

        Assert.True(clock.ElapsedMilliseconds >= 130);
        Assert.Equal(529, (int)response.StatusCode);
    }

    [Fact]
    public async Task Reset_aborts_before_any_response_and_is_still_recorded()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(Post("v1/messages", Body(), fault: "reset")));

        var recorded = Assert.Single(server.Received);
        Assert.Equal("reset", recorded.Headers[FakeUpstreamHeaders.Fault]);
    }

    [Fact]
    public async Task Reset_mid_stream_cuts_the_connection_after_a_few_events()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "reset-mid-stream"), HttpCompletionOption.ResponseHeadersRead);
        var (events, error) = await ReadEventsAsync(response, Stopwatch.StartNew());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(error);
        Assert.Equal("message_start", events[0].Name);
        Assert.Equal(SseReplyWriter.DeltasBeforeFault, events.Count(e => e.Name == "content_block_delta"));
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
    }

    [Fact]
    public async Task Reset_mid_stream_truncates_a_non_streaming_body()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(), fault: "reset-mid-stream"), HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Error_mid_stream_sends_an_overloaded_event_after_a_200()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "error-mid-stream"), HttpCompletionOption.ResponseHeadersRead);
        var (events, error) = await ReadEventsAsync(response, Stopwatch.StartNew());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(error);
        Assert.Equal("message_start", events[0].Name);
        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.Equal("error", events[^1].Name);
        Assert.Equal("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", events[^1].Data);
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
    }

    [Fact]
    public async Task Hang_never_answers_until_the_client_gives_up()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.SendAsync(Post("v1/messages", Body(), fault: "hang"), deadline.Token));

        Assert.True(clock.ElapsedMilliseconds >= 280);
        Assert.Single(server.Received);
        while (server.AbortedRequests == 0 && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10);
        }
        Assert.Equal(1, server.AbortedRequests); // the client gave up: that is what a deadline test wants to see
        // The server still serves others.
        using var next = await http.SendAsync(Post("v1/messages", Body()));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Stopping_the_server_releases_a_hung_request_quickly()
    {
        var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        var pending = http.SendAsync(Post("v1/messages", Body(), fault: "hang"));
        while (server.Received.Count == 0)
        {
            await Task.Delay(10);
        }

        var clock = Stopwatch.StartNew();
        await server.DisposeAsync();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"stop took {clock.ElapsedMilliseconds} ms");
        await Assert.ThrowsAsync<HttpRequestException>(() => pending);
        Assert.Equal(0, server.AbortedRequests); // the server's own shutdown is not a client abort
    }

    [Fact]
    public async Task Stall_mid_stream_goes_silent_after_a_few_events_until_the_client_leaves()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "stall-mid-stream"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (true)
            {
                var read = await body.ReadAsync(buffer, patience.Token);
                Assert.NotEqual(0, read); // the stream never ends by itself
                received.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        });
        var text = received.ToString();
        Assert.StartsWith("event: message_start", text);
        Assert.Equal(SseReplyWriter.DeltasBeforeFault, text.Split("event: content_block_delta").Length - 1);
        Assert.DoesNotContain("message_stop", text);
        response.Dispose();
        var clock = Stopwatch.StartNew();
        while (server.AbortedRequests == 0 && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10);
        }
        Assert.Equal(1, server.AbortedRequests);
    }

    [Fact]
    public async Task Trickle_sends_the_body_a_byte_at_a_time_and_it_arrives_whole()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = Client(server);
        using var plain = await http.SendAsync(Post("v1/messages", Body(stream: true)));
        var expected = (await plain.Content.ReadAsStringAsync()).Split("\n").Count(l => l.StartsWith("event: ", StringComparison.Ordinal));

        using var response = await http.SendAsync(Post("v1/messages", Body(stream: true), fault: "trickle:2"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        var all = new MemoryStream();
        int read, reads = 0;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            reads++;
            all.Write(buffer, 0, read);
        }
        var text = Encoding.UTF8.GetString(all.ToArray());
        Assert.Equal(expected, text.Split('\n').Count(l => l.StartsWith("event: ", StringComparison.Ordinal)));
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", text);
        // Paced a byte at a time: the client sees (nearly) one read per byte, not one per event.
        Assert.True(reads > all.Length / 4, $"{reads} reads for {all.Length} bytes");
    }

    [Fact]
    public async Task Connections_are_counted_as_they_open_and_close()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using (var http = Client(server))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await http.SendAsync(Post("v1/messages", Body()));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            Assert.Equal(1, server.State.OpenConnections); // keep-alive: one connection for all three
            Assert.Equal(1, server.State.AcceptedConnections);
        }
        var clock = Stopwatch.StartNew();
        while (server.State.OpenConnections > 0 && clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10);
        }
        Assert.Equal(0, server.State.OpenConnections);
    }
}
