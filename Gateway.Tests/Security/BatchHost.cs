using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.Front.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// The fake upstream (batches end after <see cref="ProcessingMs"/>) and a real Postgres, shared by the
/// batch tests; each test starts the fronts it needs over them (one usually, two to race settlement,
/// a fresh one to stand for a restart) and makes its own tenants.
/// </summary>
public sealed class BatchHost : IAsyncLifetime
{
    public const int ProcessingMs = 300;

    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;

    /// <summary>The shared front: sweeps every 100 ms.</summary>
    public FrontHost Front { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync(new FakeUpstreamOptions { BatchProcessingMs = ProcessingMs });
        Database = await TestPostgres.CreateAsync();
        Front = await StartFrontAsync(TimeSpan.FromMilliseconds(100));
        Admin = Front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Front.DisposeAsync();
        await Database.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    /// <summary>Another front on the same Postgres and upstream key (its own embedded silo), sweeping at <paramref name="sweep"/>.</summary>
    public Task<FrontHost> StartFrontAsync(TimeSpan sweep, IDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = Database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
            ["Batches:SweepInterval"] = sweep.ToString(),
            ["Batches:RecheckAfter"] = "00:00:00.200",
            ["Logging:LogLevel:Default"] = "Error",
        };
        foreach (var (name, value) in more ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }
        return FrontHost.StartWithKeysAsync(Upstream.BaseAddress, settings);
    }

    public static HttpClient Client(FrontHost front, string secret)
    {
        var client = new HttpClient { BaseAddress = front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    /// <summary>A batch body: one request per model given, custom ids r0, r1, ….</summary>
    public static StringContent BatchBody(params string[] models) => BatchBody(64, models);

    public static StringContent BatchBody(int maxTokens, params string[] models)
    {
        var requests = models.Select((model, i) => new
        {
            custom_id = "r" + i,
            @params = new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = "Say hello number " + i } } },
        });
        return new StringContent(JsonSerializer.Serialize(new { requests }), Encoding.UTF8, "application/json");
    }

    public static StringContent RawBody(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Batch creations that reached the upstream (sweeps of other tests' batches only read).</summary>
    public int UpstreamBatchCalls => Upstream.Received.Count(r => r.Method == "POST" && r.PathAndQuery.StartsWith("/v1/messages/batches", StringComparison.Ordinal));

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }

    public Task<decimal> SpendAsync(string keyId) =>
        ScalarAsync<decimal>($"SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = '{keyId}'");

    public Task<long> BatchAuditRowsAsync(string keyId) =>
        ScalarAsync<long>($"SELECT count(*) FROM request_log WHERE key_id = '{keyId}' AND endpoint = 'batch'");

    /// <summary>Waits until the batch's row is settled; returns what it charged.</summary>
    public async Task<decimal> WaitSettledAsync(string batchId, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var charged = await ScalarAsync<decimal?>($"SELECT charged_usd FROM message_batches WHERE batch_id = '{batchId}' AND settled_at IS NOT NULL");
            if (charged is { } value)
            {
                return value;
            }
            Assert.True(clock.Elapsed < (within ?? TimeSpan.FromSeconds(30)), $"batch {batchId} was never settled");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the audit writer has <paramref name="rows"/> batch rows for the key.</summary>
    public async Task WaitAuditRowsAsync(string keyId, long rows)
    {
        var clock = Stopwatch.StartNew();
        while (await BatchAuditRowsAsync(keyId) < rows)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the batch's audit rows never appeared");
            await Task.Delay(50);
        }
    }

    /// <summary>Creates a batch and returns its id (asserting a 200).</summary>
    public static async Task<string> CreateBatchAsync(HttpClient client, StringContent body)
    {
        using var response = await client.PostAsync("v1/messages/batches", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text}");
        var root = Json.Parse(text);
        Assert.Equal("message_batch", root.GetProperty("type").GetString());
        return root.GetProperty("id").GetString()!;
    }

    /// <summary>What the upstream would charge for <paramref name="results"/> at the batch price, per result rounded as the books are.</summary>
    public static decimal PriceAtBatchRate(FrontHost front, IEnumerable<JsonElement> results)
    {
        var prices = (Gateway.Grains.Pricing.PriceTable)front.Services.GetService(typeof(Gateway.Grains.Pricing.PriceTable))!;
        decimal total = 0;
        foreach (var line in results)
        {
            var result = line.GetProperty("result");
            if (result.GetProperty("type").GetString() != "succeeded")
            {
                continue;
            }
            var message = result.GetProperty("message");
            var usage = message.GetProperty("usage");
            var cost = prices.Cost(message.GetProperty("model").GetString()!, usage.GetProperty("input_tokens").GetInt64(),
                usage.GetProperty("output_tokens").GetInt64(), usage.GetProperty("cache_creation_input_tokens").GetInt64(),
                usage.GetProperty("cache_read_input_tokens").GetInt64());
            total += Math.Round(0.5m * cost, 8, MidpointRounding.AwayFromZero);
        }
        return total;
    }

    public static async Task<List<JsonElement>> ResultsAsync(HttpClient client, string batchId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var batch = await client.GetAsync($"v1/messages/batches/{batchId}");
            Assert.True(batch.IsSuccessStatusCode, await batch.Content.ReadAsStringAsync());
            if (Json.Parse(await batch.Content.ReadAsStringAsync()).GetProperty("processing_status").GetString() == "ended")
            {
                break;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the batch never ended");
            await Task.Delay(50);
        }
        var text = await client.GetStringAsync($"v1/messages/batches/{batchId}/results");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Json.Parse).ToList();
    }
}
