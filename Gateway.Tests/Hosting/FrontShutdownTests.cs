using System.Net;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Hosting;

/// <summary>A stopping front stops being ready at once but lets a stream in flight finish.</summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class FrontShutdownTests
{
    [Fact]
    public async Task A_stream_in_flight_completes_while_the_front_drains()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { EventDelayMs = 100, OutputTokens = 20 });
        var front = await FrontHost.StartAsync(upstream.BaseAddress);
        using var client = front.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = response.Content.ReadAsStringAsync();

        var stopping = front.DisposeAsync().AsTask();
        await Task.Delay(200);
        Assert.False(stopping.IsCompleted, "the front stopped without waiting for the stream");
        var text = await body;
        Assert.Contains("event: message_stop", text);
        await stopping;
        Assert.Equal(0, upstream.AbortedRequests);
    }
}
