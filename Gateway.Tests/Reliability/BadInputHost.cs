using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Reliability;

/// <summary>
/// One front with virtual keys, keys and audit in a real Postgres, a small body limit and a short header
/// timeout, in front of the fake upstream: shared by the bad-input tests, each of which makes its own
/// tenants (teams and keys) so what one test charges cannot blur another's assertions.
/// </summary>
public sealed class BadInputHost : TenantFrontHost
{
    public const int BodyLimit = 64 * 1024;

    /// <summary>Kestrel's header timeout here (default 30 s): a client still sending headers after it is cut.</summary>
    public static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(2);

    protected override IDictionary<string, string?> FrontSettings => new Dictionary<string, string?>
    {
        ["Gateway:MaxRequestBodyBytes"] = BodyLimit.ToString(),
        ["Kestrel:Limits:RequestHeadersTimeout"] = HeaderTimeout.ToString(),
        // An upstream gone silent mid-stream is cut after this (the default is 10 minutes).
        ["Upstream:IdleTimeout"] = "00:00:02",
    };
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
