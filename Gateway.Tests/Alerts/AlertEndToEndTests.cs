using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.FakeUpstream;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Alerts;

/// <summary>
/// The whole path: real requests through a front (and its embedded silo's grains) on the fake upstream settle
/// spend into Postgres; the silo's alert loop sees 50 % and then 80 % of a key rule's budget crossed and posts each
/// to a loopback webhook that first answers 500, then hangs past the timeout, then accepts. Exactly one accepted
/// delivery per crossing, the retries recorded, and nothing for a rule on another team.
/// </summary>
public sealed class AlertEndToEndTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Spend_from_real_requests_fires_50_and_80_percent_once_each_through_a_failing_webhook()
    {
        await using var database = await TestPostgres.CreateAsync();
        await using var upstream = await FakeUpstreamServer.StartAsync();
        await using var hook = await WebhookReceiver.StartAsync(500, WebhookReceiver.Hang);
        await using var front = await FrontHost.StartWithKeysAsync(upstream.BaseAddress, AlertFrontFixture.Settings(database.ConnectionString));
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin);
        var other = await GatewayKeys.CreateAsync(admin);
        using var client = front.CreateClient(key.Secret);

        // What one request costs, as the cluster charged it.
        await SendAsync(client, 1);
        var cost = await WaitForSpendAsync(database, key.KeyId, s => s > 0);

        var keyRule = await CreateRuleAsync(admin, new { scope = "key", target_id = key.KeyId, period = "day", thresholds = new[] { 50, 80 }, budget_usd = cost * 10, webhook_url = hook.Url("key") });
        var teamRule = await CreateRuleAsync(admin, new { scope = "team", target_id = key.TeamId, period = "month", thresholds = new[] { 80 }, budget_usd = cost * 10, webhook_url = hook.Url("team") });
        // Another team's rules, with budgets this key's spend would cross many times over.
        var otherTeamRule = await CreateRuleAsync(admin, new { scope = "team", target_id = other.TeamId, period = "day", thresholds = new[] { 1 }, budget_usd = cost / 10, webhook_url = hook.Url("other-team") });
        var otherKeyRule = await CreateRuleAsync(admin, new { scope = "key", target_id = other.KeyId, period = "day", thresholds = new[] { 1 }, budget_usd = cost / 10, webhook_url = hook.Url("other-key") });

        // 40 %: nothing is due (a few evaluation rounds pass while we wait for the spend).
        await SendAsync(client, 3);
        await WaitForSpendAsync(database, key.KeyId, s => s == cost * 4);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(hook.Requests);

        // 50 %: 500, then a timeout, then accepted.
        await SendAsync(client, 1);
        await hook.WaitForAsync(r => r.Any(x => x.Answer == 200), Wait, "the 50 % alert to be accepted");
        Assert.Equal([500, WebhookReceiver.Hang, 200], hook.Requests.Select(r => r.Answer));
        var fifty = hook.Accepted[0].Body;
        Assert.Equal((50, cost * 5, cost * 10, key.KeyId, key.TeamId, "key"), (fifty.GetProperty("threshold").GetInt32(), fifty.GetProperty("spend").GetDecimal(),
            fifty.GetProperty("budget").GetDecimal(), fifty.GetProperty("id").GetString(), fifty.GetProperty("team").GetString(), fifty.GetProperty("scope").GetString()));
        Assert.Contains("reached 50% of its daily budget", fifty.GetProperty("text").GetString(), StringComparison.Ordinal);

        // 80 %: the key rule and the team rule (the team's only key) each fire once.
        await SendAsync(client, 3);
        var crossedAt = DateTimeOffset.UtcNow;
        await hook.WaitForAsync(r => r.Count(x => x.Answer == 200) == 3, Wait, "the 80 % alerts");
        // From the response of the request that crossed 80 % to its alert at the webhook: settlement, then at most
        // one evaluation interval (200 ms here), then the POST.
        output.WriteLine($"80 % alert reached the webhook {(hook.Accepted[1].At - crossedAt).TotalMilliseconds:0} ms after the crossing request's response (Alerts:EvaluateInterval 200 ms)");
        await Task.Delay(TimeSpan.FromSeconds(1)); // more evaluation rounds: nothing more may come

        var accepted = hook.Accepted.Select(r => (r.Path, r.Body.GetProperty("threshold").GetInt32())).Order().ToList();
        Assert.Equal([("/key", 50), ("/key", 80), ("/team", 80)], accepted);
        Assert.Equal(5, hook.Requests.Count);

        var deliveries = await DeliveriesAsync(admin, keyRule);
        var fiftyRow = Assert.Single(deliveries, d => d.GetProperty("threshold").GetInt32() == 50);
        Assert.Equal(("delivered", 3, 200), (fiftyRow.GetProperty("status").GetString(), fiftyRow.GetProperty("attempts").GetInt32(), fiftyRow.GetProperty("last_status").GetInt32()));
        var eightyRow = Assert.Single(deliveries, d => d.GetProperty("threshold").GetInt32() == 80);
        Assert.Equal(("delivered", 1), (eightyRow.GetProperty("status").GetString(), eightyRow.GetProperty("attempts").GetInt32()));
        Assert.Single(await DeliveriesAsync(admin, teamRule));
        Assert.Empty(await DeliveriesAsync(admin, otherTeamRule));
        Assert.Empty(await DeliveriesAsync(admin, otherKeyRule));

        // The embedded silo's loop counted them (counters are per process: at least this test's).
        using var plain = new HttpClient { BaseAddress = front.BaseAddress };
        var metrics = await plain.GetStringAsync("metrics");
        Assert.Contains("gateway_alert_crossings_total ", metrics, StringComparison.Ordinal);
        Assert.Contains("gateway_alert_delivery_attempts_total{outcome=\"delivered\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("gateway_alert_delivery_attempts_total{outcome=\"failed\"}", metrics, StringComparison.Ordinal);
    }

    private static async Task SendAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static async Task<decimal> WaitForSpendAsync(TestPostgres database, string keyId, Func<decimal, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var command = database.DataSource.CreateCommand("SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = $1");
            command.Parameters.AddWithValue(keyId);
            var spend = (decimal)(await command.ExecuteScalarAsync())!;
            if (condition(spend))
            {
                return spend;
            }
            Assert.True(clock.Elapsed < Wait, $"spend of {keyId} stayed at {spend}");
            await Task.Delay(50);
        }
    }

    private static async Task<string> CreateRuleAsync(HttpClient admin, object rule)
    {
        using var response = await admin.PostAsJsonAsync("admin/alerts", rule);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return Json.Parse(body).GetProperty("id").GetString()!;
    }

    private static async Task<List<System.Text.Json.JsonElement>> DeliveriesAsync(HttpClient admin, string ruleId) =>
        [.. Json.Parse(await admin.GetStringAsync($"admin/alerts/{ruleId}/deliveries")).GetProperty("data").EnumerateArray()];
}
