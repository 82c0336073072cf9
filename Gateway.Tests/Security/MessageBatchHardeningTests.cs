using System.Net;
using Gateway.FakeUpstream;
using Gateway.Front.Batches;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Security;

/// <summary>
/// Message Batches holes a security review found, each shown through a real front, Postgres and the fake
/// upstream: a max_tokens sum that wraps negative, a delete that drops an unsettled batch, a batch gone
/// upstream charged $0, unmetered reads, and a failed parse escaping as a bare 500.
/// </summary>
public sealed class MessageBatchHardeningTests(BatchHost host) : IClassFixture<BatchHost>
{
    private const string Haiku = "claude-haiku-4-5";

    [Fact]
    public async Task A_max_tokens_past_the_cap_or_a_sum_that_would_wrap_is_refused_naming_the_request_and_the_budget_still_holds()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.05m });
        using var client = BatchHost.Client(host.Front, key.Secret);
        var before = host.UpstreamBatchCalls;

        // Unchecked, these three wrap the long sum negative: a hold of about -$2.5e11.
        var wrapping = $$$"""
            {"requests":[
              {"custom_id":"big-one","params":{"model":"{{{Haiku}}}","max_tokens":9000000000000000000,"messages":[]}},
              {"custom_id":"big-two","params":{"model":"{{{Haiku}}}","max_tokens":9000000000000000000,"messages":[]}},
              {"custom_id":"big-three","params":{"model":"{{{Haiku}}}","max_tokens":346744073709551616,"messages":[]}}
            ]}
            """;
        // Just past the cap, with params before custom_id: the error still names the request.
        var pastCap = $$$"""
            {"requests":[
              {"custom_id":"fine","params":{"model":"{{{Haiku}}}","max_tokens":16,"messages":[]}},
              {"params":{"model":"{{{Haiku}}}","max_tokens":{{{BatchScan.MaxTokensPerRequest + 1}}},"messages":[]},"custom_id":"too-many"}
            ]}
            """;
        foreach (var (body, customId) in new[] { (wrapping, "big-one"), (pastCap, "too-many") })
        {
            using var response = await client.PostAsync("v1/messages/batches", BatchHost.RawBody(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {text}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(text));
            Assert.Contains($"'{customId}'", Json.Parse(text).GetProperty("error").GetProperty("message").GetString());
        }
        Assert.Equal(before, host.UpstreamBatchCalls);
        Assert.Equal(0L, await host.ScalarAsync<long>("SELECT count(*) FROM message_batches WHERE key_id = @k", ("k", key.KeyId)));

        // No credit was taken: a batch over the budget is still refused, and exactly at the cap one is priced, not refused as malformed.
        using (var over = await client.PostAsync("v1/messages/batches", BatchHost.BatchBody((int)BatchScan.MaxTokensPerRequest, "claude-sonnet-4-5")))
        {
            var text = await over.Content.ReadAsStringAsync();
            Assert.True(over.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)over.StatusCode} {text}");
            Assert.Contains("budget", text);
        }
        Assert.Equal(0m, await host.SpendAsync(key.KeyId));
    }

    [Fact]
    public async Task Delete_never_drops_an_unsettled_batch_upstream_when_settling_and_the_check_fail()
    {
        await using var own = await OwnUpstreamFront.StartAsync(host);
        var key = await GatewayKeys.CreateAsync(own.Admin);
        using var client = BatchHost.Client(own.Front, key.Secret);
        var id = await own.CreateEndedBatchAsync(client);

        // Settling's GET and the follow-up check both fail.
        own.Upstream.Faults.Enqueue("500", 2);
        using (var refused = await client.DeleteAsync($"v1/messages/batches/{id}"))
        {
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode} {text}");
            Assert.Equal("overloaded_error", Json.AssertAnthropicError(text));
        }
        Assert.DoesNotContain(own.Upstream.Received, r => r.Method == "DELETE");
        Assert.False(own.Upstream.State.Batches.All.Single(b => b.Id == id).Deleted);
        Assert.Null(await host.ScalarAsync<decimal?>("SELECT charged_usd FROM message_batches WHERE batch_id = @b", ("b", id)));

        // Retried with the upstream back: settled from its results first, then deleted.
        using (var deleted = await client.DeleteAsync($"v1/messages/batches/{id}"))
        {
            var text = await deleted.Content.ReadAsStringAsync();
            Assert.True(deleted.StatusCode == HttpStatusCode.OK, $"{(int)deleted.StatusCode} {text}");
        }
        var charged = await host.WaitSettledAsync(id);
        Assert.True(charged > 0);
        Assert.True(own.Upstream.State.Batches.All.Single(b => b.Id == id).Deleted);
        await host.WaitAuditRowsAsync(key.KeyId, 1);
        Assert.Equal(charged, await host.SpendAsync(key.KeyId));
    }

    [Fact]
    public async Task A_batch_gone_upstream_before_it_was_settled_is_charged_its_held_worst_case_once_with_an_audit_row()
    {
        await using var own = await OwnUpstreamFront.StartAsync(host);
        var key = await GatewayKeys.CreateAsync(own.Admin);
        using var client = BatchHost.Client(own.Front, key.Secret);
        var id = await own.CreateEndedBatchAsync(client);
        var row = (await own.Front.Services.GetRequiredService<IBatchStore>().FindAsync(id))!;
        Assert.True(row.ReservedUsd > 0);

        // Deleted upstream behind the gateway's back (by someone holding the upstream key).
        using (var upstream = new HttpClient { BaseAddress = own.Upstream.BaseAddress })
        {
            upstream.DefaultRequestHeaders.Add("x-api-key", OwnUpstreamFront.UpstreamSecret);
            upstream.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
            using var gone = await upstream.DeleteAsync($"v1/messages/batches/{id}");
            Assert.Equal(HttpStatusCode.OK, gone.StatusCode);
        }

        var settlement = own.Front.Services.GetRequiredService<BatchSettlement>();
        Assert.True(await settlement.SettleAsync(row));
        Assert.Equal(row.ReservedUsd, await host.WaitSettledAsync(id));
        await host.WaitAuditRowsAsync(key.KeyId, 1);
        Assert.Equal(row.ReservedUsd, await host.SpendAsync(key.KeyId));
        Assert.Equal(1L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND status = 410 AND error_type = @e AND cost_usd = @c",
            ("k", key.KeyId), ("e", BatchSettlement.GoneUpstreamErrorType), ("c", row.ReservedUsd)));

        // Settled again (a front that died before marking it): the same charge, not a second one.
        await host.ExecuteAsync("UPDATE message_batches SET settled_at = NULL, charged_usd = NULL WHERE batch_id = @b", ("b", id));
        Assert.True(await settlement.SettleAsync(row));
        await Task.Delay(300);
        Assert.Equal(row.ReservedUsd, await host.SpendAsync(key.KeyId));
        Assert.Equal(1L, await host.BatchAuditRowsAsync(key.KeyId));
    }

    [Fact]
    public async Task Every_batch_read_takes_a_request_from_the_keys_bucket()
    {
        // Two a minute (one back every 30 s): the creation and one read, then every read is refused.
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { requests_per_minute = 2 });
        using var client = BatchHost.Client(host.Front, key.Secret);
        var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku));
        using (var first = await client.GetAsync($"v1/messages/batches/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var unknown = "msgbatch_01" + new string('Q', 22);
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, "v1/messages/batches"), (HttpMethod.Get, $"v1/messages/batches/{id}"),
                     (HttpMethod.Get, $"v1/messages/batches/{id}/results"), (HttpMethod.Post, $"v1/messages/batches/{id}/cancel"),
                     (HttpMethod.Delete, $"v1/messages/batches/{id}"), (HttpMethod.Get, $"v1/messages/batches/{unknown}"),
                 })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(text));
        }
    }

    [Fact]
    public async Task A_list_page_makes_at_most_100_upstream_calls_whatever_limit_is_asked()
    {
        var key = await GatewayKeys.CreateAsync(host.Admin);
        var store = host.Front.Services.GetRequiredService<IBatchStore>();
        var prefix = "msgbatch_cap" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        for (var i = 0; i < 105; i++)
        {
            await store.InsertAsync(new BatchRecord
            {
                BatchId = $"{prefix}{i:D3}",
                KeyId = key.KeyId,
                TeamId = key.TeamId,
                Provider = "anthropic",
                UpstreamKeyId = Gateway.Front.Upstreams.UpstreamCredential.From("sk-upstream-test").Id,
                ReservedUsd = 0,
                Status = "ended",
                CreatedAt = start.AddSeconds(i),
            });
        }
        // Settled, so no sweep reads them again (one may have while they were being inserted): counted from here, every GET is the list's.
        await host.ExecuteAsync("UPDATE message_batches SET settled_at = now(), charged_usd = 0 WHERE batch_id LIKE @p", ("p", prefix + "%"));
        await Task.Delay(500);
        int Reads() => host.Upstream.Received.Count(r => r.Method == "GET" && r.PathAndQuery.Contains(prefix, StringComparison.Ordinal));
        var before = Reads();

        using var client = BatchHost.Client(host.Front, key.Secret);
        using var response = await client.GetAsync("v1/messages/batches?limit=1000");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.True(Json.Parse(text).GetProperty("has_more").GetBoolean());
        Assert.Equal(100, Reads() - before);
    }

    [Fact]
    public async Task An_upstream_answering_a_batch_call_with_something_not_JSON_gets_a_502_not_a_bare_500()
    {
        // A stand-in upstream: a well-formed batch on creation, then 200 with a body that is not JSON.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var garbage = builder.Build();
        var batchId = "msgbatch_01" + Guid.NewGuid().ToString("N");
        garbage.MapPost("/v1/messages/batches", () => Results.Text(
            $$"""{"id":"{{batchId}}","type":"message_batch","processing_status":"in_progress","created_at":"2026-01-01T00:00:00Z"}""",
            "application/json"));
        garbage.MapPost("/v1/messages/batches/{id}/cancel", () => Results.Text("<html>oops</html>", "application/json"));
        await garbage.StartAsync();
        var address = new Uri(garbage.Urls.First());

        await using var front = await FrontHost.StartWithKeysAsync(address, new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = host.Database.ConnectionString,
            ["Upstream:ApiKeys:0"] = "sk-upstream-garbage",
            ["Batches:SweepInterval"] = "01:00:00",
            ["Logging:LogLevel:Default"] = "Error",
        });
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = BatchHost.Client(front, key.Secret);
        var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku));
        // Only this front is to touch it (the shared one's sweep would not find its upstream key anyway).
        await host.ExecuteAsync("UPDATE message_batches SET next_check_at = now() + interval '1 hour' WHERE batch_id = @b", ("b", id));

        using var cancel = await client.PostAsync($"v1/messages/batches/{id}/cancel", null);
        var text = await cancel.Content.ReadAsStringAsync();
        Assert.True(cancel.StatusCode == HttpStatusCode.BadGateway, $"{(int)cancel.StatusCode} {text}");
        Assert.Equal("api_error", Json.AssertAnthropicError(text));
    }

    [Fact]
    public async Task A_batch_store_that_is_down_gets_a_503_to_retry_not_a_bare_500()
    {
        var store = new FailingBatchStore();
        await using var front = await FrontHost.StartWithKeysAsync(host.Upstream.BaseAddress,
            new Dictionary<string, string?> { ["Batches:SweepInterval"] = "01:00:00", ["Logging:LogLevel:Default"] = "Error" },
            services => services.AddSingleton<IBatchStore>(store));
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        using var client = BatchHost.Client(front, key.Secret);
        var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku));

        store.Down = true;
        foreach (var (method, path) in new[] { (HttpMethod.Get, "v1/messages/batches"), (HttpMethod.Get, $"v1/messages/batches/{id}"), (HttpMethod.Delete, $"v1/messages/batches/{id}") })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(method, path));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{method} {path}: {(int)response.StatusCode} {text}");
            Assert.Equal("overloaded_error", Json.AssertAnthropicError(text));
        }
    }

    /// <summary>The in-memory store, whose reads fail as a database that is down does while <see cref="Down"/>.</summary>
    private sealed class FailingBatchStore : IBatchStore
    {
        private readonly InMemoryBatchStore _inner = new();

        public volatile bool Down;

        public Task InsertAsync(BatchRecord batch, CancellationToken cancellationToken = default) => _inner.InsertAsync(batch, cancellationToken);

        public Task<BatchRecord?> FindAsync(string batchId, CancellationToken cancellationToken = default) =>
            Down ? throw new StoreDown() : _inner.FindAsync(batchId, cancellationToken);

        public Task<IReadOnlyList<BatchRecord>> ListByTeamAsync(string teamId, int limit, string? beforeId, string? afterId, CancellationToken cancellationToken = default) =>
            Down ? throw new StoreDown() : _inner.ListByTeamAsync(teamId, limit, beforeId, afterId, cancellationToken);

        public Task<IReadOnlyList<OpenHold>> OpenHoldsAsync(string keyId, CancellationToken cancellationToken = default) => _inner.OpenHoldsAsync(keyId, cancellationToken);

        public Task<IReadOnlyList<BatchRecord>> ClaimDueAsync(int limit, TimeSpan recheckAfter, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            _inner.ClaimDueAsync(limit, recheckAfter, now, cancellationToken);

        public Task UpdateStatusAsync(string batchId, string status, DateTimeOffset? endedAt, CancellationToken cancellationToken = default) =>
            _inner.UpdateStatusAsync(batchId, status, endedAt, cancellationToken);

        public Task<bool> MarkSettledAsync(string batchId, decimal chargedUsd, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            _inner.MarkSettledAsync(batchId, chargedUsd, at, cancellationToken);

        public Task MarkDeletedAsync(string batchId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
            _inner.MarkDeletedAsync(batchId, at, cancellationToken);

        private sealed class StoreDown() : System.Data.Common.DbException("The batch store is down.");
    }

    /// <summary>
    /// A front over the shared Postgres with its own fake upstream and upstream key, sweeping never on its
    /// own: its fault queue and batches are this test's alone, and the shared front's sweep cannot read
    /// (or settle) its batches, since it has no such upstream key.
    /// </summary>
    private sealed class OwnUpstreamFront : IAsyncDisposable
    {
        public const string UpstreamSecret = "sk-upstream-own-test";

        private readonly BatchHost _host;

        private OwnUpstreamFront(BatchHost host, FakeUpstreamServer upstream, FrontHost front)
        {
            _host = host;
            Upstream = upstream;
            Front = front;
            Admin = front.CreateAdminClient();
        }

        public FakeUpstreamServer Upstream { get; }
        public FrontHost Front { get; }
        public HttpClient Admin { get; }

        public static async Task<OwnUpstreamFront> StartAsync(BatchHost host)
        {
            var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { BatchProcessingMs = 200 });
            var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress, new Dictionary<string, string?>
            {
                ["Postgres:ConnectionString"] = host.Database.ConnectionString,
                ["Upstream:ApiKeys:0"] = UpstreamSecret,
                ["Audit:FlushInterval"] = "00:00:00.050",
                ["Batches:SweepInterval"] = "01:00:00",
                ["Logging:LogLevel:Default"] = "Error",
            });
            return new OwnUpstreamFront(host, upstream, front);
        }

        /// <summary>Creates a one-request batch and waits until it has ended upstream; no sweep settles it.</summary>
        public async Task<string> CreateEndedBatchAsync(HttpClient client)
        {
            var id = await BatchHost.CreateBatchAsync(client, BatchHost.BatchBody(Haiku));
            await _host.ExecuteAsync("UPDATE message_batches SET next_check_at = now() + interval '1 hour' WHERE batch_id = @b", ("b", id));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!Upstream.State.Batches.All.Single(b => b.Id == id).HasEnded(DateTimeOffset.UtcNow))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the batch never ended upstream");
                await Task.Delay(50);
            }
            return id;
        }

        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            await Front.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
