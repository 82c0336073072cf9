using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Front.Auth;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Gateway.Tests.SelfService;

/// <summary>
/// <c>GET /gateway/usage</c> through a real front on the fake upstream: each team's key sees its own figures and
/// nothing else, the figures follow real requests (spend as Postgres bills it, bucket levels), revoked and unknown
/// keys get Anthropic's 401 (unknown ones counted per address like any failed authentication), the read takes
/// nothing from the key's buckets, and a flood with one key costs about one grain read a second.
/// </summary>
public sealed class SelfServiceUsageTests(SelfServiceHost host, ITestOutputHelper output) : IClassFixture<SelfServiceHost>
{
    [Fact]
    public async Task Each_teams_key_sees_its_own_limits_and_nothing_of_the_other()
    {
        var a = await host.TenantAsync(limits: new { requests_per_minute = 100, output_tokens_per_minute = 50_000, daily_budget_usd = 5, monthly_budget_usd = 50 });
        var b = await host.TenantAsync(limits: new { requests_per_minute = 7 });

        var usageA = await host.UsageAsync(a.Secret);
        var usageB = await host.UsageAsync(b.Secret);

        Assert.Equal("gateway_usage", usageA.GetProperty("type").GetString());
        Assert.Equal((a.KeyId, a.TeamId, "key"), (usageA.GetProperty("id").GetString(), usageA.GetProperty("team_id").GetString(), usageA.GetProperty("kind").GetString()));
        Assert.Equal((b.KeyId, b.TeamId), (usageB.GetProperty("id").GetString(), usageB.GetProperty("team_id").GetString()));
        Assert.Equal("cc-test", usageA.GetProperty("billing_tag").GetString());

        Assert.Equal(100, usageA.GetProperty("requests_per_minute").GetProperty("limit").GetInt64());
        Assert.Equal(50_000, usageA.GetProperty("output_tokens_per_minute").GetProperty("limit").GetInt64());
        Assert.Equal(JsonValueKind.Null, usageA.GetProperty("input_tokens_per_minute").ValueKind);
        Assert.Equal(5m, usageA.GetProperty("limits").GetProperty("daily_budget_usd").GetDecimal());
        Assert.Equal(5m, usageA.GetProperty("daily_budget_left_usd").GetDecimal());
        Assert.Equal(50m, usageA.GetProperty("monthly_budget_left_usd").GetDecimal());

        Assert.Equal(7, usageB.GetProperty("requests_per_minute").GetProperty("limit").GetInt64());
        Assert.Equal(JsonValueKind.Null, usageB.GetProperty("daily_budget_left_usd").ValueKind);
        Assert.Equal(JsonValueKind.Null, usageB.GetProperty("output_tokens_per_minute").ValueKind);

        // Resets: next UTC midnight and the 1st of next month.
        var dayReset = usageA.GetProperty("day_resets_at").GetDateTimeOffset();
        var monthReset = usageA.GetProperty("month_resets_at").GetDateTimeOffset();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(TimeSpan.Zero, dayReset.TimeOfDay);
        Assert.InRange(dayReset - now, TimeSpan.Zero, TimeSpan.FromDays(1));
        Assert.Equal((1, TimeSpan.Zero), (monthReset.Day, monthReset.TimeOfDay));
        Assert.InRange(monthReset - now, TimeSpan.Zero, TimeSpan.FromDays(31));

        var rawA = usageA.GetRawText();
        Assert.DoesNotContain(b.KeyId, rawA);
        Assert.DoesNotContain(b.TeamId, rawA);
        Assert.DoesNotContain(a.Secret, rawA);
    }

    [Fact]
    public async Task Spend_and_bucket_levels_follow_real_requests_and_match_what_Postgres_bills()
    {
        // 10 requests a minute refill one every 6 s, so three requests stay visible in the bucket for a while.
        var a = await host.TenantAsync(limits: new { requests_per_minute = 10, daily_budget_usd = 5 });
        var b = await host.TenantAsync(limits: new { requests_per_minute = 10 });
        var before = await host.UsageAsync(a.Secret);
        Assert.Equal(0m, before.GetProperty("spent_today_usd").GetDecimal());
        Assert.Equal(10, before.GetProperty("requests_per_minute").GetProperty("remaining").GetInt64());

        using (var client = host.Client(a.Secret))
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        JsonElement after = default;
        await Eventually.HoldsAsync("the key's own usage shows the spend Postgres bills", async () =>
        {
            after = await host.UsageAsync(a.Secret);
            var spent = after.GetProperty("spent_today_usd").GetDecimal();
            return spent > 0m && spent == await host.SpendAsync(a);
        }, TimeSpan.FromSeconds(15), () => after.GetRawText());
        var spentToday = after.GetProperty("spent_today_usd").GetDecimal();
        Assert.Equal(spentToday, after.GetProperty("spent_this_month_usd").GetDecimal());
        Assert.Equal(5m - spentToday, after.GetProperty("daily_budget_left_usd").GetDecimal());
        // Three taken, at most one refilled since (and a slice this front may still hold is out of the bucket too).
        Assert.InRange(after.GetProperty("requests_per_minute").GetProperty("remaining").GetInt64(), 0, 8);

        // The admin API reads the same standing.
        var admin = Json.Parse(await host.Admin.GetStringAsync($"admin/keys/{a.KeyId}/usage"));
        Assert.Equal(spentToday, admin.GetProperty("spent_today_usd").GetDecimal());
        Assert.Equal(5m - spentToday, admin.GetProperty("daily_budget_left_usd").GetDecimal());
        Assert.Equal(after.GetProperty("day_resets_at").GetDateTimeOffset(), admin.GetProperty("day_resets_at").GetDateTimeOffset());

        // The other team's key saw none of it.
        var other = await host.UsageAsync(b.Secret);
        Assert.Equal(0m, other.GetProperty("spent_today_usd").GetDecimal());
        Assert.Equal(10, other.GetProperty("requests_per_minute").GetProperty("remaining").GetInt64());

        // The same figures as one status-bar line.
        using var text = host.Client(a.Secret);
        using var line = await text.GetAsync("gateway/usage?format=text");
        Assert.Equal("text/plain; charset=utf-8", line.Content.Headers.ContentType?.ToString());
        var shown = await line.Content.ReadAsStringAsync();
        output.WriteLine(shown);
        Assert.Matches(@"^cc-test · \$0\.\d+ today / \$5 · \d+ req/min left\n$", shown);
        Assert.Contains("no-store", line.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task A_revoked_key_gets_the_401_any_request_gets()
    {
        var key = await host.TenantAsync();
        await host.UsageAsync(key.Secret);
        using (var revoke = await host.Admin.PostAsync($"admin/keys/{key.KeyId}/revoke", null))
        {
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        }
        using var client = host.Client(key.Secret);
        string body = "";
        await Eventually.HoldsAsync("the revoked key is refused its usage", async () =>
        {
            using var response = await client.GetAsync("gateway/usage");
            body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(10));
        Assert.Equal("authentication_error", Json.AssertAnthropicError(body));
        Assert.Contains("revoked", body);
    }

    [Fact]
    public async Task Unknown_keys_get_401_and_count_against_their_address_like_any_failed_authentication()
    {
        // An address of its own, so the other tests' clients are not limited by this one.
        var address = IPAddress.Parse("127.0.0.9");
        var failures = host.Front.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UnknownKeyOptions>>().Value.FailuresPerAddress;
        var limiter = host.Front.Services.GetRequiredService<FailedAuthLimiter>();
        Assert.False(limiter.IsLimited(address, out _));
        for (var i = 0; i < failures; i++)
        {
            using var client = host.ClientFrom(address, "sk-gw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
            using var response = await client.GetAsync("gateway/usage");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("authentication_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
        }
        Assert.True(limiter.IsLimited(address, out _));
        using (var client = host.ClientFrom(address, "sk-gw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))))
        using (var response = await client.GetAsync("gateway/usage"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
            Assert.True(response.Headers.Contains("retry-after"));
        }
        // No key at all: the same 401 as /v1/messages gives.
        using var stranger = new HttpClient { BaseAddress = host.Front.BaseAddress };
        using var anonymous = await stranger.GetAsync("gateway/usage");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("authentication_error", Json.AssertAnthropicError(await anonymous.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Reading_usage_takes_nothing_from_the_keys_buckets_and_leaves_no_trace_in_the_books()
    {
        var key = await host.TenantAsync(limits: new { requests_per_minute = 5 });
        var marker = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        for (var i = 0; i < 50; i++)
        {
            using var response = await client.GetAsync(i % 2 == 0 ? "gateway/usage" : "gateway/usage?format=text");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var usage = await host.UsageAsync(key.Secret);
        Assert.Equal(5, usage.GetProperty("requests_per_minute").GetProperty("remaining").GetInt64());
        await host.SettleAsync(marker);
        await host.AssertNothingChargedAsync(key);

        // Ten times the request limit in usage reads later, the key's first real request is still admitted.
        using var real = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Fact]
    public async Task A_bad_format_is_a_400_in_Anthropics_shape()
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        foreach (var query in new[] { "?format=xml", "?format=TEXT", "?format=text&format=json", "?format=" + new string('x', 5000) })
        {
            using var response = await client.GetAsync("gateway/usage" + query);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query[..Math.Min(30, query.Length)]}: {(int)response.StatusCode} {body}");
            Assert.Equal("invalid_request_error", Json.AssertAnthropicError(body));
            Assert.DoesNotContain("xxxx", body);
        }
        Assert.Equal(key.KeyId, (await host.UsageAsync(key.Secret, "?format=json")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_flood_of_usage_reads_with_one_key_costs_about_one_grain_read_a_second()
    {
        var key = await host.TenantAsync(limits: new { requests_per_minute = 60 });
        await host.UsageAsync(key.Secret);
        var readsBefore = host.Standings.GrainReads;
        const int Workers = 16;
        var duration = TimeSpan.FromSeconds(3);
        var served = 0;
        var clock = Stopwatch.StartNew();
        using var client = host.Client(key.Secret);
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                using var response = await client.GetAsync("gateway/usage");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Increment(ref served);
            }
        })));
        var elapsed = clock.Elapsed;
        var reads = host.Standings.GrainReads - readsBefore;
        output.WriteLine($"{served} usage reads in {elapsed.TotalSeconds:0.0} s ({served / elapsed.TotalSeconds:0} /s, {Workers} workers): {reads} grain reads");
        Assert.True(served > 50, $"only {served} reads served");
        Assert.InRange(reads, 1, (long)Math.Ceiling(elapsed.TotalSeconds) + 1);
    }

    [Fact]
    public async Task Usage_is_not_mapped_without_virtual_keys()
    {
        await using var front = await FrontHost.StartAsync(host.Upstream.BaseAddress);
        using var client = front.CreateClient();
        using var response = await client.GetAsync("gateway/usage");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found_error", Json.AssertAnthropicError(await response.Content.ReadAsStringAsync()));
    }
}
