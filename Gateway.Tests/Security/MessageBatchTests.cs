using System.Net;
using Gateway.Front.Batches;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// Message Batches as a hostile tenant sees them, through real fronts, Postgres and the fake upstream:
/// a batch is checked request by request before anything is forwarded, its worst case is held against
/// the budget, its real usage is charged once at half price with one audit row per result (even when
/// two fronts settle it at once or a front restarts mid-way), and no team sees or touches another's batch.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class MessageBatchTests(BatchHost host) : IClassFixture<BatchHost>
{
    private const string Haiku = "claude-haiku-4-5";
    private const string Sonnet = "claude-sonnet-4-5";

    [Fact]
    public async Task A_batch_with_a_model_outside_the_allow_list_or_a_hostile_string_is_refused_and_nothing_is_forwarded()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, allowedModels: ["claude-haiku-*"]);
        using var client = BatchHost.Client(host.Front, key.Secret);
        var before = host.UpstreamBatchCalls;

        using (var response = await client.PostAsync("v1/messages/batches", BatchHost.BatchBody(Haiku, Haiku, Sonnet, Haiku)))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("permission_error", Json.AssertAnthropicError(text));
            Assert.Contains(Sonnet, Json.Parse(text).GetProperty("error").GetProperty("message").GetString());
        }

        var request = """{"custom_id":"a","params":{"model":"MODEL","max_tokens":16,"messages":[]}}""";
        var hostile = new (string Name, string Body)[]
        {
            ("NUL in model", request.Replace("MODEL", "claude-haiku-\\u0000")),
            ("model of 300 chars", request.Replace("MODEL", "claude-haiku-" + new string('x', 300))),
            ("lone surrogate", request.Replace("MODEL", "claude-haiku-\\ud800")),
            ("duplicate model", request.Replace("\"model\":\"MODEL\"", "\"model\":\"claude-haiku-4-5\",\"model\":\"claude-sonnet-4-5\"")),
            ("duplicate max_tokens", request.Replace("MODEL", Haiku).Replace("\"max_tokens\":16", "\"max_tokens\":16,\"max_tokens\":9999999")),
            ("missing max_tokens", request.Replace("MODEL", Haiku).Replace("\"max_tokens\":16,", "")),
            ("custom_id with a quote", request.Replace("MODEL", Haiku).Replace("\"a\"", "\"a'; DROP TABLE x;--\"")),
            ("custom_id of 65", request.Replace("MODEL", Haiku).Replace("\"a\"", "\"" + new string('a', 65) + "\"")),
        };
        foreach (var (name, one) in hostile)
        {
            using var response = await client.PostAsync("v1/messages/batches", BatchHost.RawBody($$"""{"requests":[{{one}}]}"""));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {text}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
        }
        var twice = request.Replace("MODEL", Haiku);
        foreach (var body in (string[])[$$"""{"requests":[{{twice}},{{twice}}]}""", $$"""{"requests":[{{twice}}],"requests":[]}""", """{"requests":[]}""", "[]"])
        {
            using var response = await client.PostAsync("v1/messages/batches", BatchHost.RawBody(body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.Equal(before, host.UpstreamBatchCalls);
        Assert.Equal(0L, await host.ScalarAsync<long>("SELECT count(*) FROM message_batches WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(0m, await host.SpendAsync(key.KeyId));
    }

    [Fact]
    public async Task A_batch_is_charged_once_at_half_price_from_its_results_with_one_audit_row_per_result()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, allowedModels: ["claude-haiku-*"]);
        using var client = BatchHost.Client(host.Front, key.Secret);
        // The third request is invalid upstream (no messages): it ends errored and costs nothing.
        var body = """
            {"requests":[
              {"custom_id":"first","params":{"model":"claude-haiku-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello there"}]}},
              {"custom_id":"second","params":{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"A longer question, with more tokens in it than the first one has"}]}},
              {"custom_id":"third","params":{"model":"claude-haiku-4-5","max_tokens":64}}
            ]}
            """;
        var id = await BatchHost.CreateBatchAsync(client, BatchHost.RawBody(body));
        Assert.StartsWith("msgbatch_", id);
        var row = await host.Front.Services.GetRequiredService<IBatchStore>().FindAsync(id);
        Assert.NotNull(row);
        Assert.Equal(key.KeyId, row.KeyId);
        Assert.Equal(key.TeamId, row.TeamId);
        Assert.True(row.ReservedUsd > 0);

        var results = await BatchHost.ResultsAsync(client, id);
        Assert.Equal(3, results.Count);
        Assert.Equal(2, results.Count(r => r.GetProperty("result").GetProperty("type").GetString() == "succeeded"));
        var expected = BatchHost.PriceAtBatchRate(host.Front, results);
        Assert.True(expected > 0);

        // The batch's results_url leads to the gateway, not to the upstream.
        using (var batch = await client.GetAsync($"v1/messages/batches/{id}"))
        {
            var url = Json.Parse(await batch.Content.ReadAsStringAsync()).GetProperty("results_url").GetString()!;
            Assert.StartsWith(host.Front.BaseAddress.ToString().TrimEnd('/'), url);
        }

        Assert.Equal(expected, await host.WaitSettledAsync(id));
        await host.WaitAuditRowsAsync(key.KeyId, 3);
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));
        Assert.Equal(expected, await host.ScalarAsync<decimal>("SELECT sum(cost_usd) FROM request_log WHERE key_id = @k AND endpoint = 'batch'", ("k", key.KeyId)));
        Assert.Equal(2L, await host.ScalarAsync<long>("SELECT sum(requests)::bigint FROM usage_minute WHERE key_id = @k", ("k", key.KeyId)));
        Assert.Equal(1L, await host.ScalarAsync<long>(
            $"SELECT count(*) FROM request_log WHERE request_id = '{id}:third' AND status = 400 AND error_type = 'invalid_request_error' AND cost_usd = 0"));

        // Reading it again, and more sweeps, change nothing.
        await BatchHost.ResultsAsync(client, id);
        await host.Front.Services.GetRequiredService<BatchSweeper>().SweepOnceAsync();
        await Task.Delay(500);
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));
        Assert.Equal(3L, await host.BatchAuditRowsAsync(key.KeyId));
        // The hold is gone: only what was charged counts against the budget.
        var usage = await host.Front.Services.GetRequiredService<IGrainFactory>().GetGrain<Gateway.Grains.Abstractions.IApiKeyGrain>(key.KeyId).GetUsageAsync();
        Assert.Equal(expected, usage.SpentTodayUsd);
    }

    [Fact]
    public async Task A_team_sees_and_touches_only_its_own_batches()
    {
        var a = await GatewayKeys.CreateAsync(host.Admin);
        var b = await GatewayKeys.CreateAsync(host.Admin);
        using var clientA = BatchHost.Client(host.Front, a.Secret);
        using var clientB = BatchHost.Client(host.Front, b.Secret);
        var batchA = await BatchHost.CreateBatchAsync(clientA, BatchHost.BatchBody(Haiku, Sonnet));
        var unknown = "msgbatch_01" + new string('Z', 22);

        foreach (var (method, suffix) in new[] { (HttpMethod.Get, ""), (HttpMethod.Get, "/results"), (HttpMethod.Post, "/cancel"), (HttpMethod.Delete, "") })
        {
            using var theirs = await clientB.SendAsync(new HttpRequestMessage(method, $"v1/messages/batches/{batchA}{suffix}"));
            using var none = await clientB.SendAsync(new HttpRequestMessage(method, $"v1/messages/batches/{unknown}{suffix}"));
            var theirsText = await theirs.Content.ReadAsStringAsync();
            var noneText = await none.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
            Assert.Equal("not_found_error", Json.AssertAnthropicError(theirsText));
            // The same answer as for an id that never existed: nothing says the batch is there.
            Assert.Equal(Message(noneText).Replace(unknown, "ID"), Message(theirsText).Replace(batchA, "ID"));
        }

        using (var list = await clientB.GetAsync("v1/messages/batches"))
        {
            var root = Json.Parse(await list.Content.ReadAsStringAsync());
            Assert.Equal(0, root.GetProperty("data").GetArrayLength());
            Assert.False(root.GetProperty("has_more").GetBoolean());
        }
        var batchB = await BatchHost.CreateBatchAsync(clientB, BatchHost.BatchBody(Haiku));
        Assert.Equal([batchB], await ListIdsAsync(clientB, ""));
        Assert.Equal([batchA], await ListIdsAsync(clientA, ""));
        // A cursor from another team pages nowhere.
        Assert.Empty(await ListIdsAsync(clientB, $"?after_id={batchA}"));

        // A's batch was not canceled or deleted by B's tries, and A still acts on it.
        using (var mine = await clientA.GetAsync($"v1/messages/batches/{batchA}"))
        {
            var root = Json.Parse(await mine.Content.ReadAsStringAsync());
            Assert.Null(root.GetProperty("cancel_initiated_at").GetString());
        }
        await BatchHost.ResultsAsync(clientA, batchA);
        await host.WaitSettledAsync(batchA);
        using (var delete = await clientA.DeleteAsync($"v1/messages/batches/{batchA}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.Equal("message_batch_deleted", Json.Parse(await delete.Content.ReadAsStringAsync()).GetProperty("type").GetString());
        }
        Assert.Empty(await ListIdsAsync(clientA, ""));
        using (var gone = await clientA.GetAsync($"v1/messages/batches/{batchA}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task A_canceled_batch_releases_its_hold_and_charges_nothing_for_canceled_requests()
    {
        // Holds about $0.10 (Sonnet and Haiku, 10,000 output tokens each, half price): one fits, two do not.
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.15m });
        using var client = BatchHost.Client(host.Front, key.Secret);
        host.Upstream.Options.BatchProcessingMs = 60_000;
        string id;
        try
        {
            id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(10_000, Sonnet, Haiku));
        }
        finally
        {
            host.Upstream.Options.BatchProcessingMs = BatchHost.ProcessingMs;
        }
        using (var cancel = await client.PostAsync($"v1/messages/batches/{id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            Assert.Equal("canceling", Json.Parse(await cancel.Content.ReadAsStringAsync()).GetProperty("processing_status").GetString());
        }
        Assert.Equal(0m, await host.WaitSettledAsync(id));
        await host.WaitAuditRowsAsync(key.KeyId, 2);
        Assert.Equal(2L, await host.ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k AND error_type = 'canceled' AND cost_usd = 0", ("k", key.KeyId)));
        Assert.Equal(0m, await host.SpendAsync(key.KeyId));
        // The hold is released: the same batch fits the budget again, once (it must not end during the check).
        host.Upstream.Options.BatchProcessingMs = 60_000;
        try
        {
            await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(10_000, Sonnet, Haiku));
            using var third = await client.PostAsync("v1/messages/batches", BatchHost.BatchBody(10_000, Sonnet, Haiku));
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        }
        finally
        {
            host.Upstream.Options.BatchProcessingMs = BatchHost.ProcessingMs;
        }
    }

    [Fact]
    public async Task A_list_pages_through_the_teams_own_batches_newest_first()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin);
        using var client = BatchHost.Client(host.Front, key.Secret);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku)));
        }
        ids.Reverse();
        using var page = await client.GetAsync("v1/messages/batches?limit=2");
        var root = Json.Parse(await page.Content.ReadAsStringAsync());
        Assert.True(root.GetProperty("has_more").GetBoolean());
        Assert.Equal(ids[..2], root.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList());
        Assert.Equal(ids[1], root.GetProperty("last_id").GetString());
        Assert.Equal([ids[2]], await ListIdsAsync(client, $"?limit=2&after_id={ids[1]}"));
        Assert.Equal([ids[0]], await ListIdsAsync(client, $"?limit=2&before_id={ids[1]}"));
    }

    [Fact]
    public async Task A_budget_too_small_for_the_reservation_is_refused_and_open_holds_count()
    {
        // Worst case of one Sonnet request with max_tokens 10000 at half price is about $0.075.
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.05m });
        using var client = BatchHost.Client(host.Front, key.Secret);
        var before = host.UpstreamBatchCalls;
        using (var response = await client.PostAsync("v1/messages/batches", BatchHost.BatchBody(10_000, Sonnet)))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(text));
            Assert.Contains("budget", text);
            Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        }
        Assert.Equal(before, host.UpstreamBatchCalls);

        // Two batches that fit one at a time: the second is refused while the first holds its share.
        var roomy = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.1m });
        using var roomyClient = BatchHost.Client(host.Front, roomy.Secret);
        // The first must still be running (held, not settled) when the second asks.
        host.Upstream.Options.BatchProcessingMs = 60_000;
        try
        {
            await BatchHost.CreateBatchAsync(roomyClient, BatchHost.BatchBody(10_000, Sonnet));
            using var second = await roomyClient.PostAsync("v1/messages/batches", BatchHost.BatchBody(10_000, Sonnet));
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }
        finally
        {
            host.Upstream.Options.BatchProcessingMs = BatchHost.ProcessingMs;
        }
        Assert.Equal(0m, await host.SpendAsync(key.KeyId));
    }

    [Fact]
    public async Task Settlement_happens_once_when_two_fronts_race_and_when_a_front_restarts_midway()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin);
        // Two more fronts that never sweep on their own: the test drives them.
        await using var first = await host.StartFrontAsync(TimeSpan.FromHours(1));
        await using var second = await host.StartFrontAsync(TimeSpan.FromHours(1));
        using var client = BatchHost.Client(first, key.Secret);
        var models = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Haiku : Sonnet).ToArray();
        var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(models));
        // The shared front sweeps every 100 ms: hold its row back so the two fronts here race for it.
        await host.ExecuteAsync("UPDATE message_batches SET next_check_at = now() + interval '1 hour' WHERE batch_id = @b", ("b", id));
        await Task.Delay(BatchHost.ProcessingMs + 200);

        var row = (await first.Services.GetRequiredService<IBatchStore>().FindAsync(id))!;
        var racers = Enumerable.Range(0, 4).Select(i => Task.Run(() => (i % 2 == 0 ? first : second).Services.GetRequiredService<BatchSettlement>().SettleAsync(row)));
        Assert.All(await Task.WhenAll(racers), Assert.True);

        var results = await BatchHost.ResultsAsync(client, id);
        var expected = BatchHost.PriceAtBatchRate(first, results);
        Assert.Equal(expected, await host.WaitSettledAsync(id));
        await host.WaitAuditRowsAsync(key.KeyId, models.Length);
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));

        // Both fronts' sweeps at once over a row reopened as if never settled: still charged once.
        await host.ExecuteAsync("UPDATE message_batches SET settled_at = NULL, charged_usd = NULL, next_check_at = now() WHERE batch_id = @b", ("b", id));
        await Task.WhenAll(Task.Run(() => first.Services.GetRequiredService<BatchSweeper>().SweepOnceAsync()),
            Task.Run(() => second.Services.GetRequiredService<BatchSweeper>().SweepOnceAsync()));
        Assert.Equal(expected, await host.WaitSettledAsync(id));
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));

        // A front that died after charging but before marking the batch settled: the row is open
        // again, the front is gone, and a restarted front's sweep settles it with the same ids.
        await host.ExecuteAsync("UPDATE message_batches SET settled_at = NULL, charged_usd = NULL, next_check_at = now() WHERE batch_id = @b", ("b", id));
        await first.DisposeAsync();
        await using var restarted = await host.StartFrontAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(expected, await host.WaitSettledAsync(id));
        await Task.Delay(500);
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));
        Assert.Equal((long)models.Length, await host.BatchAuditRowsAsync(key.KeyId));
        Assert.Equal((long)models.Length, await host.ScalarAsync<long>("SELECT sum(requests)::bigint FROM usage_minute WHERE key_id = @k", ("k", key.KeyId)));
    }

    [Fact]
    public async Task A_batch_created_before_a_restart_is_settled_by_the_next_front_and_its_hold_survives()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.1m });
        var models = new[] { Sonnet };
        string id;
        // The upstream takes longer than this front lives.
        host.Upstream.Options.BatchProcessingMs = 3000;
        try
        {
            await using (var shortLived = await host.StartFrontAsync(TimeSpan.FromHours(1)))
            {
                using var client = BatchHost.Client(shortLived, key.Secret);
                id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(10_000, models));
                // Only the front started after this one is to settle it.
                await host.ExecuteAsync("UPDATE message_batches SET next_check_at = now() + interval '1 hour' WHERE batch_id = @b", ("b", id));
            }
        }
        finally
        {
            host.Upstream.Options.BatchProcessingMs = BatchHost.ProcessingMs;
        }
        // A new front (new silo): the key's grain reloads the open hold, so a second batch does not fit.
        await using var next = await host.StartFrontAsync(TimeSpan.FromMilliseconds(100));
        using (var nextClient = BatchHost.Client(next, key.Secret))
        using (var second = await nextClient.PostAsync("v1/messages/batches", BatchHost.BatchBody(10_000, models)))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        }
        await host.ExecuteAsync("UPDATE message_batches SET next_check_at = now() WHERE batch_id = @b", ("b", id));
        var charged = await host.WaitSettledAsync(id);
        Assert.True(charged > 0);
        await host.WaitAuditRowsAsync(key.KeyId, 1);
        Assert.Equal(charged, await host.SpendAsync(key.KeyId));
    }

    [Fact]
    public async Task Each_batch_is_read_and_settled_with_the_upstream_key_that_created_it()
    {
        // Two upstream keys (two organisations to the fake): a batch exists only in its creator's.
        await using var front = await host.StartFrontAsync(TimeSpan.FromMilliseconds(100),
            new Dictionary<string, string?> { ["Upstream:ApiKeys:1"] = "sk-upstream-second" });
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = BatchHost.Client(front, key.Secret);
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku)));
        }
        var owners = host.Upstream.State.Batches.All.Where(b => ids.Contains(b.Id)).Select(b => b.Owner).Distinct().ToList();
        Assert.Equal(2, owners.Count);
        decimal expected = 0;
        foreach (var id in ids)
        {
            expected += BatchHost.PriceAtBatchRate(front, await BatchHost.ResultsAsync(client, id));
        }
        foreach (var id in ids)
        {
            await host.WaitSettledAsync(id);
        }
        Assert.Equal(expected, await host.SpendAsync(key.KeyId));
        Assert.Equal(ids.AsEnumerable().Reverse(), await ListIdsAsync(client, ""));
    }

    private static string Message(string errorBody) => Json.Parse(errorBody).GetProperty("error").GetProperty("message").GetString()!;

    private static async Task<List<string>> ListIdsAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("v1/messages/batches" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return Json.Parse(text).GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
    }
}

/// <summary>Without virtual keys the gateway does not own batches: they pass through unchanged.</summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class PassThroughBatchTests
{
    [Fact]
    public async Task Batches_pass_through_unchanged_without_virtual_keys()
    {
        await using var upstream = await Gateway.FakeUpstream.FakeUpstreamServer.StartAsync();
        await using var front = await FrontHost.StartAsync(upstream.BaseAddress);
        using var client = front.CreateClient("sk-client-own-key");
        var body = """{"requests":[{"custom_id":"a","params":{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}}],"unknown":{"kept":true}}""";
        using var response = await client.PostAsync("v1/messages/batches", BatchHost.RawBody(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = upstream.Received.Single(r => r.PathAndQuery == "/v1/messages/batches");
        Assert.Equal(body, System.Text.Encoding.UTF8.GetString(received.Body));
        var id = Json.Parse(await response.Content.ReadAsStringAsync()).GetProperty("id").GetString()!;
        using var list = await client.GetAsync("v1/messages/batches");
        Assert.Contains(id, await list.Content.ReadAsStringAsync());
    }
}

/// <summary>Without Postgres the ownership rows and holds live in memory, with the same rules.</summary>
public sealed class InMemoryBatchTests
{
    [Fact]
    public async Task Without_Postgres_a_batch_is_owned_settled_once_and_hidden_from_other_teams()
    {
        await using var upstream = await Gateway.FakeUpstream.FakeUpstreamServer.StartAsync(new Gateway.FakeUpstream.FakeUpstreamOptions { BatchProcessingMs = 200 });
        await using var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Batches:SweepInterval"] = "00:00:00.100",
            ["Batches:RecheckAfter"] = "00:00:00.100",
            ["Logging:LogLevel:Default"] = "Error",
        });
        using var admin = front.CreateAdminClient();
        var a = await GatewayKeys.CreateAsync(admin);
        var b = await GatewayKeys.CreateAsync(admin);
        using var clientA = BatchHost.Client(front, a.Secret);
        using var clientB = BatchHost.Client(front, b.Secret);
        var id = await BatchHost.CreateBatchAsync(clientA, BatchHost.BatchBody("claude-haiku-4-5", "claude-sonnet-4-5"));
        using (var theirs = await clientB.GetAsync($"v1/messages/batches/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        }
        var expected = BatchHost.PriceAtBatchRate(front, await BatchHost.ResultsAsync(clientA, id));
        var store = front.Services.GetRequiredService<IBatchStore>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await store.FindAsync(id))!.SettledAt is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "never settled");
            await Task.Delay(50);
        }
        await front.Services.GetRequiredService<BatchSweeper>().SweepOnceAsync();
        Assert.Equal(expected, (await store.FindAsync(id))!.ChargedUsd);
        var usage = await front.Services.GetRequiredService<IGrainFactory>().GetGrain<Gateway.Grains.Abstractions.IApiKeyGrain>(a.KeyId).GetUsageAsync();
        Assert.Equal(expected, usage.SpentTodayUsd);
        Assert.Equal(2, usage.Requests);
    }
}
