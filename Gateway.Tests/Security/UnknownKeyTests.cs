using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Gateway.FakeUpstream;
using Gateway.Front.Auth;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Gateway.Tests.Security;

/// <summary>
/// Unknown keys are cheap: a front remembers unknown hashes for a few seconds (no grain call), a client
/// address past its failed authentications gets a 429 before any grain call, a directory entry for an
/// unknown hash goes after seconds (not the 30-minute age limit), and none of it touches the upstream or
/// a valid key, even one sent from the scanning address.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class UnknownKeyTests(ITestOutputHelper output)
{
    private const int Failures = 30;
    private const int ScanSize = 2_000;
    private const int Workers = 8;

    [Fact]
    public async Task A_scan_of_2000_random_keys_costs_few_grain_calls_and_gets_429_while_a_valid_key_still_works()
    {
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var database = await TestPostgres.CreateAsync();
        await using var front = await AuthSecurityHost.StartAsync(upstream.BaseAddress, database.ConnectionString, new Dictionary<string, string?>
        {
            ["Auth:UnknownKeys:FailuresPerAddress"] = Failures.ToString(),
        });
        var authenticator = front.Services.GetRequiredService<KeyAuthenticator>();
        var management = front.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        using var admin = front.CreateAdminClient();
        var valid = await GatewayKeys.CreateAsync(admin);
        using var validClient = front.CreateClient(valid.Secret);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(validClient));

        // The same unknown key, again and again (from another address): one grain call, then the front's
        // memory; and only that lookup counts against the address, so a client stuck on a stale key is never limited.
        using (var repeat = front.CreateClient("sk-gw-" + RandomHex(), IPAddress.Parse("127.0.0.3")))
        {
            var before = authenticator.DirectoryCalls;
            for (var i = 0; i < Failures * 2; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(repeat));
            }
            Assert.Equal(before + 1, authenticator.DirectoryCalls);
        }

        var upstreamBefore = upstream.Received.Count;
        var callsBefore = authenticator.DirectoryCalls;
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        var retryAfters = new ConcurrentBag<int>();
        var next = 0;
        using var scanner = new HttpClient { BaseAddress = front.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= ScanSize)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json.Body(Json.SmallRequest) };
                request.Headers.Add("x-api-key", "sk-gw-" + RandomHex());
                request.Headers.Add("anthropic-version", "2023-06-01");
                using var response = await scanner.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
                    retryAfters.Add(int.Parse(response.Headers.GetValues("retry-after").Single()));
                }
                else
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                }
            }
        })));
        var calls = authenticator.DirectoryCalls - callsBefore;
        var activations = await DirectoryActivationsAsync(management);
        output.WriteLine($"scan of {ScanSize}: {string.Join(", ", statuses.Select(s => $"{(int)s.Key}×{s.Value}"))}; " +
            $"{calls} directory grain calls; {activations} directory activations right after");

        var refused = statuses.GetValueOrDefault(HttpStatusCode.Unauthorized);
        Assert.InRange(refused, Failures, Failures + Workers);
        Assert.Equal(ScanSize - refused, statuses.GetValueOrDefault(HttpStatusCode.TooManyRequests));
        Assert.All(retryAfters, s => Assert.InRange(s, 1, 60));
        // Each grain call is at most one activation and one store query; without the limit it was 2,000 of each.
        Assert.InRange(calls, Failures, Failures + Workers);
        Assert.True(activations <= Failures + Workers + 2, $"{activations} directory activations");
        Assert.Equal(upstreamBefore, upstream.Received.Count);

        // The scanning address is limited, but a key that works keeps working from it and from elsewhere.
        using (var sameAddress = front.CreateClient(valid.Secret))
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(sameAddress));
        }
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(validClient));
        using (var limited = front.CreateClient("sk-gw-" + RandomHex()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(limited));
        }
        // Another address is not limited by this one's failures.
        using (var elsewhere = front.CreateClient("sk-gw-" + RandomHex(), IPAddress.Parse("127.0.0.2")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(elsewhere));
        }

        // Unknown hashes do not stay activated: only the valid key's entry is left within seconds.
        var gone = await Eventually.HoldsAsync("the unknown keys' directory entries deactivate",
            async () => await DirectoryActivationsAsync(management) <= 1, TimeSpan.FromSeconds(30));
        output.WriteLine($"unknown directory entries gone {gone.TotalSeconds:0.0} s after the scan");
    }

    [Fact]
    public void The_failure_limit_counts_IPv6_by_64_and_stays_bounded_past_its_table()
    {
        var limiter = new FailedAuthLimiter(Options.Create(new UnknownKeyOptions { FailuresPerAddress = 2, MaxTrackedAddresses = 4 }), TimeProvider.System);

        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2::10"));
        limiter.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::99"));
        Assert.True(limiter.IsLimited(IPAddress.Parse("2001:db8:1:2::1234"), out var wait));
        Assert.InRange(wait, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.False(limiter.IsLimited(IPAddress.Parse("2001:db8:1:3::10"), out _));

        limiter.RecordFailure(IPAddress.Parse("::ffff:10.0.0.1"));
        Assert.False(limiter.IsLimited(IPAddress.Parse("10.0.0.1"), out _));
        limiter.RecordFailure(IPAddress.Parse("10.0.0.1"));
        Assert.True(limiter.IsLimited(IPAddress.Parse("10.0.0.1"), out _));

        // A scan spread over 1,000 addresses: the table stays at its size, the rest share one count.
        for (var i = 0; i < 1000; i++)
        {
            limiter.RecordFailure(new IPAddress([192, 0, (byte)(i / 256), (byte)(i % 256)]));
        }
        Assert.InRange(limiter.TrackedAddresses, 1, 5);
        Assert.True(limiter.IsLimited(IPAddress.Parse("198.51.100.7"), out _));
    }

    [Theory]
    [InlineData("Auth:UnknownKeys:CacheTime", "00:10:00")]
    [InlineData("Auth:UnknownKeys:CacheSize", "0")]
    [InlineData("Auth:UnknownKeys:FailuresPerAddress", "-1")]
    [InlineData("Auth:UnknownKeys:FailureWindow", "00:00:00")]
    [InlineData("Auth:UnknownKeys:MaxTrackedAddresses", "0")]
    public async Task Bad_unknown_key_settings_stop_the_front_at_start(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(() =>
            AuthSecurityHost.StartAsync(new Uri("http://127.0.0.1:9/"), null, new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(key, error.Message);
    }

    private static async Task<int> DirectoryActivationsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics())
            .Where(s => s.GrainType.Contains("KeyDirectoryGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client)
    {
        using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        await response.Content.ReadAsStringAsync();
        return response.StatusCode;
    }

    private static string RandomHex() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
