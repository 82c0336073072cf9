using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Reliability;
using Xunit.Abstractions;

namespace Gateway.Tests.Security;

/// <summary>
/// The tenant boundary as a property: two keys of two teams send seeded random mixes of valid, hostile
/// and cut-short requests through two front processes sharing one silo, Postgres and one upstream
/// key. Whatever the mix: every answer that served usage is charged to its own key exactly once (the
/// key's spend and rows equal the usage its client saw, request by request), nothing refused leaves a
/// row or a charge, neither key's books hold the other's requests, and settlement keeps flowing to
/// the end (a last marker request of each key is charged). A failure prints its seed;
/// <c>TENANT_PROPERTY_SEED</c> replays it.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class TwoTenantPropertyTests(ITestOutputHelper output)
{
    private const int RequestsPerTenant = 90;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Two_tenants_random_mixes_through_two_fronts_each_charge_only_their_own_key_exactly_once()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TENANT_PROPERTY_SEED"), out var fixedSeed)
            ? fixedSeed : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with TENANT_PROPERTY_SEED={seed})");

        await using var upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { MaxRecordedRequests = 0 });
        await using var database = await TestPostgres.CreateAsync();
        await using var cluster = await ClusterProcesses.StartAsync(new ClusterProcessOptions
        {
            Silos = 1,
            Fronts = 2,
            RedisConnectionString = await TestRedis.EndpointAsync(),
            PostgresConnectionString = database.ConnectionString,
            FrontSettings = new Dictionary<string, string?>
            {
                ["Upstream:BaseUrl"] = upstream.BaseAddress.ToString(),
                ["Upstream:ApiKeys:0"] = "sk-upstream-shared",
                ["Upstream:RetryBaseDelay"] = "00:00:00.010",
                ["Upstream:RetryMaxDelay"] = "00:00:00.050",
                ["Auth:Mode"] = "VirtualKeys",
                ["Admin:Token"] = FrontHost.AdminToken,
                ["Settlement:FlushInterval"] = "00:00:00.050",
                ["Audit:FlushInterval"] = "00:00:00.050",
                ["Logging:LogLevel:Default"] = "Warning",
            },
        });
        using var admin = new HttpClient { BaseAddress = cluster.Fronts[0].HttpAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", FrontHost.AdminToken);
        var models = new[] { "claude-sonnet-*", "claude-haiku-*" };
        var limits = new { requests_per_minute = 100_000, daily_budget_usd = 1_000m };
        var tenants = new[]
        {
            await GatewayKeys.CreateAsync(admin, limits: limits, allowedModels: models, billingTag: "tenant-a"),
            await GatewayKeys.CreateAsync(admin, limits: limits, allowedModels: models, billingTag: "tenant-b"),
        };

        var seen = tenants.Select(_ => new ConcurrentDictionary<string, ClientUsage>(StringComparer.Ordinal)).ToArray();

        // Each tenant opens its own session first (a session belongs to the key that first used it).
        for (var t = 0; t < tenants.Length; t++)
        {
            using var client = TenantClient(cluster.Fronts[t].HttpAddress, tenants[t].Secret);
            var first = await SendAsync(RequestKind.Valid, client, cluster.Fronts[t].HttpAddress, tenants[t], tenants[1 - t], new Random(seed));
            seen[t][first!.RequestId] = first;
            await UsageLedger.SettledAsync(database.DataSource, tenants[t].KeyId, l => l.ChargedRequests >= 1, TimeSpan.FromSeconds(30));
        }
        await Task.Delay(300);
        var kinds = new ConcurrentDictionary<RequestKind, int>();
        var runs = tenants.Select((tenant, t) => Task.Run(async () =>
        {
            var random = new Random(seed + t);
            var clients = cluster.Fronts.Select(f => TenantClient(f.HttpAddress, tenant.Secret)).ToArray();
            try
            {
                // Two interleaved workers per tenant, alternating fronts at random.
                await Task.WhenAll(Enumerable.Range(0, 2).Select(async w =>
                {
                    var mine = new Random(random.Next());
                    for (var i = 0; i < RequestsPerTenant / 2; i++)
                    {
                        var front = mine.Next(clients.Length);
                        var kind = (RequestKind)mine.Next(Enum.GetValues<RequestKind>().Length);
                        kinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
                        var usage = await SendAsync(kind, clients[front], cluster.Fronts[front].HttpAddress, tenant, tenants[1 - t], mine);
                        if (usage is not null)
                        {
                            Assert.True(seen[t].TryAdd(usage.RequestId, usage), $"request id {usage.RequestId} seen twice");
                        }
                    }
                }));
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        })).ToArray();
        await Task.WhenAll(runs);
        output.WriteLine("mix: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));

        // Settlement still flows after the hostile mix: one last request per tenant, through each front.
        for (var t = 0; t < tenants.Length; t++)
        {
            foreach (var front in cluster.Fronts)
            {
                using var client = TenantClient(front.HttpAddress, tenants[t].Secret);
                var marker = await SendAsync(RequestKind.Valid, client, front.HttpAddress, tenants[t], tenants[1 - t], new Random(seed));
                Assert.NotNull(marker);
                seen[t][marker.RequestId] = marker;
            }
        }

        for (var t = 0; t < tenants.Length; t++)
        {
            var expected = seen[t];
            var ledger = await UsageLedger.SettledAsync(database.DataSource, tenants[t].KeyId,
                l => l.Rows.Count >= expected.Count && l.ChargedRequests >= expected.Values.Count(u => u.Charged) && l.SpentUsd == l.RowsCostUsd,
                TimeSpan.FromSeconds(60));
            output.WriteLine($"tenant {t}: client saw {expected.Count} served answers; rows {ledger.Rows.Count}, charged {ledger.ChargedRequests}, spent {ledger.SpentUsd} = rows {ledger.RowsCostUsd}");

            // Exactly the requests this tenant's client saw served, each once, none of the other's.
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), ledger.Rows.Keys.Order(StringComparer.Ordinal));
            Assert.Empty(ledger.Rows.Keys.Intersect(seen[1 - t].Keys));
            Assert.Equal(expected.Values.Count(u => u.Charged), ledger.ChargedRequests);
            Assert.Equal(ledger.RowsCostUsd, ledger.SpentUsd);
            Assert.True(ledger.SpentUsd > 0, "nothing was charged");

            // Row by row, the tokens charged are the tokens the client saw.
            await using var command = database.DataSource.CreateCommand(
                "SELECT request_id, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, team_id FROM request_log WHERE key_id = $1");
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenants[t].KeyId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var usage = expected[reader.GetString(0)];
                Assert.Equal((usage.Input, usage.Output, usage.CacheWrite, usage.CacheRead),
                    (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
                Assert.Equal(tenants[t].TeamId, reader.GetString(5));
            }
        }

        // Each tenant's session belongs to it alone, whoever else named it (session rows are flushed on a timer).
        foreach (var tenant in tenants)
        {
            string? recordedOwner = null;
            await Eventually.HoldsAsync("the tenant's session row", async () =>
            {
                await using var owner = database.DataSource.CreateCommand("SELECT key_id FROM session_usage WHERE session_id = $1");
                owner.Parameters.Add(new Npgsql.NpgsqlParameter { Value = SessionOf(tenant) });
                recordedOwner = await owner.ExecuteScalarAsync() as string;
                return recordedOwner is not null;
            }, TimeSpan.FromSeconds(30));
            Assert.Equal(tenant.KeyId, recordedOwner);
        }
    }

    /// <summary>The shapes of request a tenant sends. Hostile ones must be refused with no trace in the books.</summary>
    private enum RequestKind
    {
        Valid,
        ValidStream,
        StreamErrorMidway,
        CountTokens,
        NulInModel,
        OverlongModel,
        DuplicateModel,
        ModelNotAllowed,
        MalformedJson,
        ZeroMaxTokens,
        UnmeteredPath,
        DoubleSlashPath,
        EncodedSlashPath,
        OtherTenantsSession,
        CutShortBody,
    }

    /// <summary>Sends one request of <paramref name="kind"/>; returns what the client saw served (null: nothing to bill).</summary>
    private static async Task<ClientUsage?> SendAsync(RequestKind kind, HttpClient client, Uri front, GatewayKeys.CreatedKey me,
        GatewayKeys.CreatedKey other, Random random)
    {
        var model = random.Next(2) == 0 ? "claude-sonnet-4-5" : "claude-haiku-4-5";
        var text = "tenant " + me.TeamId + " asks " + random.Next(1_000_000);
        string Body(string modelJson, bool stream = false, int maxTokens = 64) =>
            $$"""{"model":{{modelJson}},"max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"{{text}}"}]}""";
        var quoted = JsonSerializer.Serialize(model);

        switch (kind)
        {
            case RequestKind.Valid:
                return await ServedAsync(client, "v1/messages", Body(quoted), stream: false, session: SessionOf(me));
            case RequestKind.ValidStream:
                return await ServedAsync(client, "v1/messages", Body(quoted, stream: true), stream: true);
            case RequestKind.StreamErrorMidway:
                return await ServedAsync(client, "v1/messages", Body(quoted, stream: true), stream: true, fault: "error-mid-stream");
            case RequestKind.CountTokens:
            {
                using var response = await client.PostAsync("v1/messages/count_tokens", Json.Body(Body(quoted)));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                // count_tokens costs nothing: audited (a row), never charged.
                return new ClientUsage(RequestId(response), 0, 0, 0, 0, Charged: false);
            }
            case RequestKind.NulInModel:
                await RefusedAsync(client, "v1/messages", Body("\"claude-sonnet-4-5\\u0000x\""), 400);
                return null;
            case RequestKind.OverlongModel:
                await RefusedAsync(client, "v1/messages", Body(JsonSerializer.Serialize("claude-sonnet-" + new string('x', 300 + random.Next(100_000)))), 400);
                return null;
            case RequestKind.DuplicateModel:
                await RefusedAsync(client, "v1/messages",
                    $$"""{"model":"claude-haiku-4-5","max_tokens":16,"model":"claude-opus-4-1","messages":[{"role":"user","content":"{{text}}"}]}""", 400);
                return null;
            case RequestKind.ModelNotAllowed:
                await RefusedAsync(client, "v1/messages", Body("\"claude-opus-4-1\""), 403);
                return null;
            case RequestKind.MalformedJson:
                await RefusedAsync(client, "v1/messages", Body(quoted)[..^(1 + random.Next(20))], 400);
                return null;
            case RequestKind.ZeroMaxTokens:
                await RefusedAsync(client, "v1/messages", Body(quoted, maxTokens: 0), 400);
                return null;
            case RequestKind.UnmeteredPath:
                await RefusedAsync(client, random.Next(2) == 0 ? "v1/complete" : "v1/files", Body(quoted), 403);
                return null;
            case RequestKind.DoubleSlashPath:
                await RawRefusedAsync(front, me, "/v1//messages", Body(quoted));
                return null;
            case RequestKind.EncodedSlashPath:
                await RawRefusedAsync(front, me, "/v1/messages%2Fcount_tokens", Body(quoted));
                return null;
            case RequestKind.OtherTenantsSession:
            {
                // A session id the other tenant uses: served and charged to this key only, never to the other's.
                using var request = Post("v1/messages", Body(quoted));
                request.Headers.Add("X-Claude-Code-Session-Id", SessionOf(other));
                return await ReadServedAsync(await client.SendAsync(request), stream: false);
            }
            case RequestKind.CutShortBody:
            {
                // A Content-Length the body never reaches, then the connection closes: no answer to bill.
                var body = Encoding.UTF8.GetBytes(Body(quoted));
                var head = RawHttp.Head(front, "POST", "/v1/messages", [$"x-api-key: {me.Secret}", "anthropic-version: 2023-06-01"], body.Length + 500);
                var reply = await RawHttp.SendAsync(front, RawHttp.Concat(head, body[..(body.Length / 2)]), TimeSpan.FromMilliseconds(300));
                Assert.NotEqual(200, reply.Status);
                return null;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static HttpClient TenantClient(Uri front, string secret)
    {
        var client = new HttpClient { BaseAddress = front, Timeout = Deadline };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    private static HttpRequestMessage Post(string path, string body) => new(HttpMethod.Post, path) { Content = Json.Body(body) };

    private static string SessionOf(GatewayKeys.CreatedKey key) => "session-" + key.KeyId;

    private static async Task<ClientUsage> ServedAsync(HttpClient client, string path, string body, bool stream, string? fault = null,
        string? session = null)
    {
        using var request = Post(path, body);
        if (fault is not null)
        {
            request.Headers.Add(FakeUpstreamHeaders.Fault, fault);
        }
        if (session is not null)
        {
            request.Headers.Add("X-Claude-Code-Session-Id", session);
        }
        return await ReadServedAsync(await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead), stream);
    }

    /// <summary>Reads a 200's usage as the client sees it: the JSON body's, or the stream's (message_delta is cumulative).</summary>
    private static async Task<ClientUsage> ReadServedAsync(HttpResponseMessage response, bool stream)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
            long input = 0, output = 0, write = 0, read = 0;
            if (!stream)
            {
                var usage = Json.Parse(text).GetProperty("usage");
                (input, output, write, read) = (Tokens(usage, "input_tokens"), Tokens(usage, "output_tokens"),
                    Tokens(usage, "cache_creation_input_tokens"), Tokens(usage, "cache_read_input_tokens"));
            }
            else
            {
                foreach (var line in text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)))
                {
                    var data = Json.Parse(line["data: ".Length..]);
                    var type = data.GetProperty("type").GetString();
                    if (type == "message_start")
                    {
                        var usage = data.GetProperty("message").GetProperty("usage");
                        (input, output, write, read) = (Tokens(usage, "input_tokens"), Tokens(usage, "output_tokens"),
                            Tokens(usage, "cache_creation_input_tokens"), Tokens(usage, "cache_read_input_tokens"));
                    }
                    else if (type == "message_delta" && data.TryGetProperty("usage", out var delta))
                    {
                        output = Tokens(delta, "output_tokens");
                    }
                }
            }
            return new ClientUsage(RequestId(response), input, output, write, read, Charged: true);
        }
    }

    private static long Tokens(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("request-id").First();

    private static async Task RefusedAsync(HttpClient client, string path, string body, int status)
    {
        using var response = await client.PostAsync(path, Json.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{path} {body[..Math.Min(body.Length, 120)]}: {(int)response.StatusCode} {text}");
        Json.AssertAnthropicError(text);
    }

    /// <summary>Paths HttpClient would normalise go over a raw socket: refused (4xx, Anthropic's shape), never served.</summary>
    private static async Task RawRefusedAsync(Uri front, GatewayKeys.CreatedKey me, string path, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var head = RawHttp.Head(front, "POST", path, [$"x-api-key: {me.Secret}", "anthropic-version: 2023-06-01"], bytes.Length);
        var reply = await RawHttp.SendAsync(front, RawHttp.Concat(head, bytes), Deadline);
        Assert.True(reply.Status is >= 400 and < 500, $"{path}: {reply.Status} {reply.Head} {reply.Body}");
        Json.AssertAnthropicError(reply.Body);
    }

    private sealed record ClientUsage(string RequestId, long Input, long Output, long CacheWrite, long CacheRead, bool Charged);
}
