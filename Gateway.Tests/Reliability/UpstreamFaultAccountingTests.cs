using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Upstream faults with virtual keys: a cut or failed upstream call frees the key's concurrent-stream
/// slot however it ends, is charged exactly what the tap observed before the cut (nothing, for a
/// failure before the first byte), and leaves one audit row per request.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class UpstreamFaultAccountingTests(BadInputHost host) : IClassFixture<BadInputHost>
{
    [Fact]
    public async Task Cut_and_failed_streams_free_their_slot_and_are_charged_only_what_was_observed()
    {
        var marker = await GatewayKeys.CreateAsync(host.Admin);
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { concurrent_streams = 2 });
        using var client = host.Client(key.Secret);

        host.Upstream.Faults.Enqueue("reset-mid-stream", 10);
        host.Upstream.Faults.Enqueue("stall-mid-stream", 2);
        host.Upstream.Faults.Enqueue("400", 10);
        var statuses = new List<(HttpStatusCode Status, bool Cut)>();
        // Two at a time, the key's whole allowance: a leaked slot would show as a 429 at once.
        for (var round = 0; round < 11; round++)
        {
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => StreamAsync(client))));
            // A client sees its stream cut a moment before the front has finished the request and freed
            // the slot; a pause keeps that race (a retry-after-1s 429, not a leak) out of the count.
            await Task.Delay(300);
        }
        // Ten resets and two silences (cut at the idle timeout): a 200, then a cut stream.
        Assert.Equal(12, statuses.Count(s => s is { Status: HttpStatusCode.OK, Cut: true }));
        Assert.True(statuses.Count(s => s.Status == HttpStatusCode.BadRequest) == 10, string.Join(", ", statuses));
        Assert.DoesNotContain(statuses, s => s.Status == (HttpStatusCode)429);
        // Every slot came back: two more streams at once still get in.
        foreach (var ok in await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => StreamAsync(client))))
        {
            Assert.Equal((HttpStatusCode.OK, false), ok);
        }

        await host.SettleAsync(marker);
        // One row per request; the cut ones carry what the tap saw (message_start's usage), the 400s nothing.
        Assert.Equal(24L, await host.ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(0L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND status = 400 AND (input_tokens > 0 OR output_tokens > 0 OR cost_usd > 0)", ("k", key.KeyId)));
        Assert.Equal(12L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND status = 200 AND input_tokens > 0 AND output_tokens = 1", ("k", key.KeyId)));
        var logged = await host.ScalarAsync<decimal>("SELECT sum(cost_usd) FROM request_log WHERE key_id = @k", ("k", key.KeyId));
        var spent = await host.ScalarAsync<decimal>("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = @k", ("k", key.KeyId));
        Assert.True(logged > 0);
        Assert.Equal(logged, spent);
    }

    private static async Task<(HttpStatusCode Status, bool Cut)> StreamAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallStreamingRequest) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.StatusCode == HttpStatusCode.OK && !text.Contains("message_stop", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return (response.StatusCode, true);
        }
    }
}
