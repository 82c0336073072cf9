using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Forwarding;

/// <summary>Upstream failures: retried while the client has seen nothing, then reported fast and clearly.</summary>
public sealed class RetryAndBreakerTests
{
    [Theory]
    [InlineData("529")]
    [InlineData("500")]
    [InlineData("503")]
    [InlineData("reset")]
    public async Task A_transient_failure_is_retried_and_the_client_sees_only_the_success(string fault)
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress);
        upstream.Faults.Enqueue(fault, 2);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: message_stop", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, upstream.Received.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task When_retries_run_out_the_last_upstream_error_is_passed_through_unmodified()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Upstream:MaxRetries"] = "2",
            ["Upstream:Breaker:MinimumThroughput"] = "100",
        });
        upstream.Faults.Enqueue("529", 10);
        using var client = front.CreateClient();

        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));

        Assert.Equal((HttpStatusCode)529, response.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.True(response.Headers.Contains("request-id"));
        Assert.Equal(3, upstream.Received.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task A_dead_upstream_gives_a_fast_502_then_the_breaker_answers_503_at_once()
    {
        var deadPort = FreeLoopbackPort();
        await using var front = await FrontHost.StartAsync(new Uri($"http://127.0.0.1:{deadPort}/"), new Dictionary<string, string?>
        {
            ["Upstream:MaxRetries"] = "1",
            ["Upstream:Breaker:MinimumThroughput"] = "2",
            ["Upstream:Breaker:BreakDuration"] = "00:00:30",
        });
        using var client = front.CreateClient();

        var first = Stopwatch.StartNew();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        first.Stop();
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("api_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.True(first.Elapsed < TimeSpan.FromSeconds(5), $"took {first.Elapsed}");

        var fast = Stopwatch.StartNew();
        using var broken = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        fast.Stop();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        Assert.Equal("overloaded_error", Json.AssertAnthropicError(await broken.Content.ReadAsStringAsync()));
        Assert.True(broken.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("true", broken.Headers.GetValues("x-should-retry").Single());
        Assert.True(fast.Elapsed < TimeSpan.FromMilliseconds(500), $"open breaker took {fast.Elapsed}");
    }

    [Fact]
    public async Task A_hanging_upstream_ends_in_a_timeout_error_within_the_idle_bound()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Upstream:IdleTimeout"] = "00:00:01",
            ["Upstream:MaxRetries"] = "0",
        });
        upstream.Faults.Enqueue("hang", 1);
        using var client = front.CreateClient();
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("timeout_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task A_reset_mid_stream_is_not_retried_because_bytes_already_reached_the_client()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress);
        upstream.Faults.Enqueue("reset-mid-stream", 1);
        using var client = front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<Exception>(async () => await response.Content.ReadAsStringAsync());
        Assert.Single(upstream.Received, r => r.Method == "POST");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
