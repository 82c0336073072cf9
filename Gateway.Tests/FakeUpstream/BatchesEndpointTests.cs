using System.Net;
using Gateway.FakeUpstream;

namespace Gateway.Tests.FakeUpstream;

/// <summary>The fake's Message Batches API behaves like the real one where a gateway depends on it.</summary>
public sealed class BatchesEndpointTests
{
    private const string Body = """
        {"requests":[
          {"custom_id":"ok","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}},
          {"custom_id":"bad","params":{"model":"claude-haiku-4-5","messages":[]}}
        ]}
        """;

    [Fact]
    public async Task A_batch_runs_ends_and_gives_results_with_usage_only_to_its_own_key()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { BatchProcessingMs = 200 });
        using var http = FakeUpstreamTestKit.Client(server);
        using var created = await http.SendAsync(FakeUpstreamTestKit.Post("/v1/messages/batches", Body));
        var batch = await FakeUpstreamTestKit.JsonAsync(created);
        var id = batch.GetProperty("id").GetString()!;
        Assert.StartsWith("msgbatch_01", id);
        Assert.Equal("in_progress", batch.GetProperty("processing_status").GetString());
        Assert.Equal(2, batch.GetProperty("request_counts").GetProperty("processing").GetInt32());

        using (var early = await http.SendAsync(Get($"/v1/messages/batches/{id}/results")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        }
        using (var other = await http.SendAsync(Get($"/v1/messages/batches/{id}", key: "sk-other-org")))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }
        using (var list = await http.SendAsync(Get("/v1/messages/batches", key: "sk-other-org")))
        {
            Assert.Equal(0, (await FakeUpstreamTestKit.JsonAsync(list)).GetProperty("data").GetArrayLength());
        }

        await Task.Delay(300);
        using var ended = await http.SendAsync(Get($"/v1/messages/batches/{id}"));
        var now = await FakeUpstreamTestKit.JsonAsync(ended);
        Assert.Equal("ended", now.GetProperty("processing_status").GetString());
        Assert.Equal(1, now.GetProperty("request_counts").GetProperty("succeeded").GetInt32());
        Assert.Equal(1, now.GetProperty("request_counts").GetProperty("errored").GetInt32());
        Assert.EndsWith($"/v1/messages/batches/{id}/results", now.GetProperty("results_url").GetString());

        using var results = await http.SendAsync(Get($"/v1/messages/batches/{id}/results"));
        var lines = (await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var ok = lines.Single(l => l.GetProperty("custom_id").GetString() == "ok").GetProperty("result");
        Assert.Equal("succeeded", ok.GetProperty("type").GetString());
        Assert.Equal(5, ok.GetProperty("message").GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.True(ok.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32() > 0);
        Assert.Equal("errored", lines.Single(l => l.GetProperty("custom_id").GetString() == "bad").GetProperty("result").GetProperty("type").GetString());

        using var deleted = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/messages/batches/{id}") { Headers = { { "x-api-key", FakeUpstreamTestKit.Key } } });
        Assert.Equal("message_batch_deleted", (await FakeUpstreamTestKit.JsonAsync(deleted)).GetProperty("type").GetString());
        using var gone = await http.SendAsync(Get($"/v1/messages/batches/{id}"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_running_batch_cannot_be_deleted_and_a_canceled_one_ends_with_every_request_canceled()
    {
        await using var server = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { BatchProcessingMs = 60_000 });
        using var http = FakeUpstreamTestKit.Client(server);
        using var created = await http.SendAsync(FakeUpstreamTestKit.Post("/v1/messages/batches", Body));
        var id = (await FakeUpstreamTestKit.JsonAsync(created)).GetProperty("id").GetString()!;
        using (var refused = await http.SendAsync(new HttpRequestMessage(HttpMethod.Delete, $"/v1/messages/batches/{id}") { Headers = { { "x-api-key", FakeUpstreamTestKit.Key } } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        using var cancel = await http.SendAsync(FakeUpstreamTestKit.Post($"/v1/messages/batches/{id}/cancel", ""));
        Assert.Equal("canceling", (await FakeUpstreamTestKit.JsonAsync(cancel)).GetProperty("processing_status").GetString());
        await Task.Delay(200);
        using var ended = await http.SendAsync(Get($"/v1/messages/batches/{id}"));
        var counts = (await FakeUpstreamTestKit.JsonAsync(ended)).GetProperty("request_counts");
        Assert.Equal(2, counts.GetProperty("canceled").GetInt32());
        using var results = await http.SendAsync(Get($"/v1/messages/batches/{id}/results"));
        Assert.All((await results.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.Contains("\"canceled\"", line));
    }

    [Fact]
    public async Task A_batch_with_repeated_custom_ids_is_refused()
    {
        await using var server = await FakeUpstreamServer.StartAsync();
        using var http = FakeUpstreamTestKit.Client(server);
        using var response = await http.SendAsync(FakeUpstreamTestKit.Post("/v1/messages/batches", Body.Replace("\"bad\"", "\"ok\"")));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(server.State.Batches.All);
    }

    private static HttpRequestMessage Get(string path, string key = FakeUpstreamTestKit.Key) =>
        new(HttpMethod.Get, path) { Headers = { { "x-api-key", key }, { "anthropic-version", "2023-06-01" } } };
}
