using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Front.Metrics;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Metrics;

/// <summary>
/// Every metric the chart's Grafana dashboard graphs is exported by a real front (virtual keys in Postgres, its
/// embedded silo exporting the grain metrics on the same <c>/metrics</c>) and moves under real load: streaming
/// and non-streaming Messages, a Chat Completions stream, a cache hit, count_tokens, model listing, an upstream
/// 529 retried, the key's own 429 and an upstream 429, and streams held open, during which
/// <c>gateway_requests_in_flight</c> counts them and after which it is back where it was. A metric the code stops
/// updating (or one the dashboard graphs that nothing exports) fails here.
/// </summary>
[Collection(MetricsRegistryCollection.Name)]
public sealed class GraphedMetricsTests(GraphedMetricsHost host, ITestOutputHelper output) : IClassFixture<GraphedMetricsHost>
{
    /// <summary>Graphed series a test cannot move without breaking a dependency on purpose, each with why.</summary>
    private static readonly Dictionary<string, string> CannotMove = new(StringComparer.Ordinal)
    {
        [FrontMetrics.AuditRowsDroppedTotal] = "rows are dropped only when the audit buffer is full or Postgres fails writes past the retry window",
        [FrontMetrics.AuditWriteFailuresTotal] = "counts failed audit writes: needs Postgres refusing them",
        [FrontMetrics.SettlementFailuresTotal] = "counts settlement batches given up after every attempt: needs the key grains failing throughout",
        [FrontMetrics.AuditBufferDepthName] = "a gauge set around each batch write, back to 0 within milliseconds while Postgres keeps up",
    };

    private static readonly HttpClient Scraper = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static readonly string LongSystem = string.Join(' ', Enumerable.Repeat("You answer in one short sentence.", 100));

    private Uri MetricsAddress => new(host.Front.BaseAddress, "metrics");

    [Fact]
    public async Task Every_graphed_metric_is_exported_and_moves_under_load()
    {
        var graphed = DashboardQueries.All().SelectMany(PromQl.MetricNames).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(FrontMetrics.RequestsInFlight, graphed);
        Assert.All(CannotMove.Keys, name => Assert.Contains(name, graphed)); // the exemptions stay about what is graphed

        var key = await host.TenantAsync();
        var limited = await host.TenantAsync(limits: new { requests_per_minute = 1 });
        var before = await PrometheusText.ScrapeAsync(Scraper, MetricsAddress);
        foreach (var name in graphed)
        {
            Assert.True(Kind(before, name) is not null, $"the dashboard graphs {name}, which the front's /metrics does not export");
        }

        var during = await HoldStreamsAsync(key, before);
        await SendLoadAsync(key, limited);

        // Audit rows and settlements land a flush interval later: wait until everything moved, or give up and say what did not.
        var clock = Stopwatch.StartNew();
        PrometheusText after;
        List<string> still;
        do
        {
            await Task.Delay(100);
            after = await PrometheusText.ScrapeAsync(Scraper, MetricsAddress);
            still = graphed.Where(name => !CannotMove.ContainsKey(name) && !Moved(name, before, during, after)).Order(StringComparer.Ordinal).ToList();
        }
        while (still.Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(20));
        foreach (var name in graphed.Order(StringComparer.Ordinal))
        {
            output.WriteLine($"{name} ({Kind(after, name)}): {Total(before, name)} -> {Total(during, name)} -> {Total(after, name)}"
                + (CannotMove.TryGetValue(name, out var why) ? $" [cannot move in a test: {why}]" : ""));
        }
        Assert.True(still.Count == 0, $"graphed but not moved by the load: {string.Join(", ", still)}");
    }

    /// <summary>
    /// Opens three Messages streams and a Chat Completions stream that the fake upstream sends slowly (one stalls
    /// mid-stream until its client goes away), scrapes while they are open, then ends them: two and the chat
    /// stream read to their last event, the stalled one dropped by its client. Returns the scrape made while they were open.
    /// </summary>
    private async Task<PrometheusText> HoldStreamsAsync(GatewayKeys.CreatedKey key, PrometheusText before)
    {
        using var client = host.Client(key.Secret);
        var slow = new List<HttpResponseMessage>
        {
            await OpenStreamAsync(client, "v1/messages", Json.SmallStreamingRequest, FakeUpstreamHeaders.EventIntervalMs, "80"),
            await OpenStreamAsync(client, "v1/messages", Json.SmallStreamingRequest, FakeUpstreamHeaders.EventIntervalMs, "80"),
            await OpenStreamAsync(client, "v1/chat/completions",
                """{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}""",
                FakeUpstreamHeaders.EventIntervalMs, "80"),
        };
        var stalled = await OpenStreamAsync(client, "v1/messages", Json.SmallStreamingRequest, FakeUpstreamHeaders.Fault, "stall-mid-stream");
        try
        {
            return await EndStreamsAsync(slow, stalled, before);
        }
        finally
        {
            // A failed assertion must not leave a stalled stream holding the front's shutdown.
            stalled.Dispose();
            slow.ForEach(r => r.Dispose());
        }
    }

    private async Task<PrometheusText> EndStreamsAsync(List<HttpResponseMessage> slow, HttpResponseMessage stalled, PrometheusText before)
    {
        var during = await PrometheusText.ScrapeAsync(Scraper, MetricsAddress);
        var messages = (Before: InFlight(before, "messages"), During: InFlight(during, "messages"));
        var chat = (Before: InFlight(before, "chat_completions"), During: InFlight(during, "chat_completions"));
        Assert.Equal(messages.Before + 3, messages.During);
        Assert.Equal(chat.Before + 1, chat.During);

        // The client goes away from the stalled stream; the others end with their last event.
        stalled.Dispose();
        foreach (var response in slow)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(text.Contains("event: message_stop", StringComparison.Ordinal) || text.Contains("data: [DONE]", StringComparison.Ordinal),
                $"a held stream did not end with its last event: {text}");
        }

        var clock = Stopwatch.StartNew();
        PrometheusText after;
        do
        {
            after = await PrometheusText.ScrapeAsync(Scraper, MetricsAddress);
        }
        while ((InFlight(after, "messages") != messages.Before || InFlight(after, "chat_completions") != chat.Before) && clock.Elapsed < TimeSpan.FromSeconds(10));
        output.WriteLine($"gateway_requests_in_flight{{endpoint=\"messages\"}}: {messages.Before} before, {messages.During} with 3 streams open, {InFlight(after, "messages")} after");
        output.WriteLine($"gateway_requests_in_flight{{endpoint=\"chat_completions\"}}: {chat.Before} before, {chat.During} with 1 stream open, {InFlight(after, "chat_completions")} after");
        Assert.Equal(messages.Before, InFlight(after, "messages"));
        Assert.Equal(chat.Before, InFlight(after, "chat_completions"));
        return during;
    }

    /// <summary>The rest of a day's traffic, each kind checked to have happened as intended.</summary>
    private async Task SendLoadAsync(GatewayKeys.CreatedKey key, GatewayKeys.CreatedKey limited)
    {
        using var client = host.Client(key.Secret, session: "graphed-" + Guid.NewGuid().ToString("N"));

        // The same cacheable prompt twice: a cache write, then a cache read.
        var cached = JsonSerializer.Serialize(new
        {
            model = "claude-sonnet-4-5",
            max_tokens = 32,
            system = new[] { new { type = "text", text = LongSystem + " " + Guid.NewGuid(), cache_control = new { type = "ephemeral" } } },
            messages = new[] { new { role = "user", content = "Hello" } },
        });
        long cacheRead = 0;
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(cached));
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            cacheRead = Json.Parse(text).GetProperty("usage").GetProperty("cache_read_input_tokens").GetInt64();
        }
        Assert.True(cacheRead > 0, "the repeated prompt did not read the cache");

        using (var stream = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            Assert.Contains("event: message_stop", await stream.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var count = await client.PostAsync("v1/messages/count_tokens", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, count.StatusCode);
        }
        using (var models = await client.GetAsync("v1/models"))
        {
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        }

        // An upstream 529 the gateway retries before the client sees anything.
        host.Upstream.Faults.Enqueue("529");
        using (var retried = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        // The key's own limit: one request a minute, the second refused by the gateway.
        using (var limitedClient = host.Client(limited.Secret))
        {
            using var first = await limitedClient.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using var second = await limitedClient.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }

        // Last: an upstream 429 on the only upstream key (it cools the key for what follows).
        host.Upstream.Faults.Enqueue("429");
        using (var upstream429 = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, upstream429.StatusCode);
        }
    }

    private static async Task<HttpResponseMessage> OpenStreamAsync(HttpClient client, string path, string body, string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json.Body(body) };
        request.Headers.Add(header, value);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return response;
    }

    private static double InFlight(PrometheusText scrape, string endpoint) =>
        scrape.Value(FrontMetrics.RequestsInFlight, ("endpoint", endpoint));

    /// <summary>
    /// A counter or histogram moved if its total grew; a gauge if it read differently while the load ran or after it.
    /// </summary>
    private static bool Moved(string name, PrometheusText before, PrometheusText during, PrometheusText after) =>
        Kind(after, name) switch
        {
            "gauge" => Total(during, name) != Total(before, name) || Total(after, name) != Total(before, name),
            _ => Total(after, name) > Total(before, name),
        };

    /// <summary>The family type of a graphed name (a histogram's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> are its histogram's), or null.</summary>
    private static string? Kind(PrometheusText scrape, string name)
    {
        if (scrape.Types.TryGetValue(name, out var kind))
        {
            return kind;
        }
        return HistogramOf(name) is { } histogram && scrape.Types.GetValueOrDefault(histogram) == "histogram" ? "histogram" : null;
    }

    /// <summary>The sum over every series of the name (for a histogram, its observation count).</summary>
    private static double Total(PrometheusText scrape, string name)
    {
        var series = scrape.Types.GetValueOrDefault(name) == "histogram" ? name + "_count"
            : HistogramOf(name) is { } histogram && scrape.Types.GetValueOrDefault(histogram) == "histogram" ? histogram + "_count"
            : name;
        return scrape.Series.Where(s => s.Key == series || s.Key.StartsWith(series + "{", StringComparison.Ordinal)).Sum(s => s.Value);
    }

    private static string? HistogramOf(string name)
    {
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^suffix.Length];
            }
        }
        return null;
    }
}
