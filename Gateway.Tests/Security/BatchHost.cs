using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// The fake upstream (batches end after <see cref="ProcessingMs"/>) and a real Postgres, shared by the
/// batch tests; each test starts the fronts it needs over them (one usually, two to race settlement,
/// a fresh one to stand for a restart) and makes its own tenants.
/// </summary>
public sealed class BatchHost : TenantFrontHost
{
    public const int ProcessingMs = 300;

    protected override FakeUpstreamOptions? UpstreamOptions => new() { BatchProcessingMs = ProcessingMs };

    /// <summary>The shared front sweeps every 100 ms.</summary>
    protected override IDictionary<string, string?> FrontSettings => Sweeping(TimeSpan.FromMilliseconds(100));

    /// <summary>Another front on the same Postgres and upstream key (its own embedded silo), sweeping at <paramref name="sweep"/>.</summary>
    public Task<FrontHost> StartFrontAsync(TimeSpan sweep, IDictionary<string, string?>? more = null)
    {
        var settings = Sweeping(sweep);
        foreach (var (name, value) in more ?? new Dictionary<string, string?>())
        {
            settings[name] = value;
        }
        return StartFrontAsync(settings);
    }

    private static Dictionary<string, string?> Sweeping(TimeSpan sweep) => new()
    {
        ["Batches:SweepInterval"] = sweep.ToString(),
        ["Batches:RecheckAfter"] = "00:00:00.200",
    };

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

    public Task<long> BatchAuditRowsAsync(string keyId) =>
        ScalarAsync<long>("SELECT count(*) FROM request_log WHERE key_id = @k AND endpoint = 'batch'", ("k", keyId));

    /// <summary>Waits until the batch's row is settled; returns what it charged.</summary>
    public async Task<decimal> WaitSettledAsync(string batchId, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var charged = await ScalarAsync<decimal?>("SELECT charged_usd FROM message_batches WHERE batch_id = @b AND settled_at IS NOT NULL", ("b", batchId));
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
