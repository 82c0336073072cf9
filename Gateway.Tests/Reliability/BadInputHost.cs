using System.Diagnostics;
using System.Net;
using Gateway.Front.FakeUpstream;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Reliability;

/// <summary>
/// One front with virtual keys, keys and audit in a real Postgres, a small body limit and a short header
/// timeout, in front of the fake upstream: shared by the bad-input tests, each of which makes its own
/// tenants (teams and keys) so what one test charges cannot blur another's assertions.
/// </summary>
public sealed class BadInputHost : IAsyncLifetime
{
    public const int BodyLimit = 64 * 1024;

    /// <summary>Kestrel's header timeout here (default 30 s): a client still sending headers after it is cut.</summary>
    public static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(2);

    public FakeUpstreamServer Upstream { get; private set; } = null!;
    public TestPostgres Database { get; private set; } = null!;
    public FrontHost Front { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstreamServer.StartAsync();
        Database = await TestPostgres.CreateAsync();
        Front = await FrontHost.StartWithKeysAsync(Upstream.BaseAddress, new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = Database.ConnectionString,
            ["Audit:FlushInterval"] = "00:00:00.050",
            ["Gateway:MaxRequestBodyBytes"] = BodyLimit.ToString(),
            ["Kestrel:Limits:RequestHeadersTimeout"] = HeaderTimeout.ToString(),
            // An upstream gone silent mid-stream is cut after this (the default is 10 minutes).
            ["Upstream:IdleTimeout"] = "00:00:02",
            ["Logging:LogLevel:Default"] = "Error",
        });
        Admin = Front.CreateAdminClient();
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Front.DisposeAsync();
        await Database.DisposeAsync();
        await Upstream.DisposeAsync();
    }

    public HttpClient Client(string secret, string? session = null)
    {
        var client = new HttpClient { BaseAddress = Front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", secret);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        if (session is not null)
        {
            client.DefaultRequestHeaders.Add("X-Claude-Code-Session-Id", session);
        }
        return client;
    }

    /// <summary>
    /// Waits until every audit row and charge made so far is in Postgres: one marker request of
    /// <paramref name="marker"/> is sent and its row awaited (the audit writer keeps order), then the
    /// settlement flush interval passes.
    /// </summary>
    internal async Task SettleAsync(GatewayKeys.CreatedKey marker)
    {
        using var client = Client(marker.Secret);
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("request-id").First();
        var clock = Stopwatch.StartNew();
        while (await ScalarAsync<long>($"SELECT count(*) FROM request_log WHERE request_id = '{requestId}'") == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the marker request's audit row never appeared");
            await Task.Delay(50);
        }
        await Task.Delay(300);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Nothing of <paramref name="key"/> reached the books: no request_log row, no spend.</summary>
    internal async Task AssertNothingChargedAsync(GatewayKeys.CreatedKey key)
    {
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM request_log WHERE key_id = '{key.KeyId}'"));
        Assert.Equal(0m, await ScalarAsync<decimal>($"SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = '{key.KeyId}'"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT coalesce(sum(requests), 0)::bigint FROM usage_minute WHERE key_id = '{key.KeyId}'"));
    }
}

/// <summary>
/// Another tenant's well-formed requests, sent in a loop while a test throws bad input at the front:
/// every one must succeed (the bad input harms nobody else).
/// </summary>
internal sealed class NeighbourTraffic : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<List<HttpStatusCode>> _loop;

    public NeighbourTraffic(BadInputHost host, GatewayKeys.CreatedKey key)
    {
        _loop = Task.Run(async () =>
        {
            var statuses = new List<HttpStatusCode>();
            using var client = host.Client(key.Secret);
            while (!_stop.IsCancellationRequested || statuses.Count == 0)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallStreamingRequest));
                await response.Content.ReadAsStringAsync();
                statuses.Add(response.StatusCode);
                await Task.Delay(20);
            }
            return statuses;
        });
    }

    /// <summary>Stops the loop and returns how many requests succeeded (all of them, or this throws).</summary>
    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        var statuses = await _loop;
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        return statuses.Count;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop;
        }
        catch
        {
            // Reported by StopAsync when the test gets that far.
        }
        _stop.Dispose();
    }
}
