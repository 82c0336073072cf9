using Gateway.Grains.Storage;

namespace Gateway.Tests.Alerts;

/// <summary>
/// Evaluation and delivery against real Postgres and a real loopback webhook, with two or three "silos"
/// working the same database at once and a clock the test moves: each crossing recorded once, delivered once
/// (after a 500 and a timeout, every attempt recorded), a new day a new crossing, a restart resending nothing.
/// </summary>
public sealed class AlertDeliveryTests
{
    [Fact]
    public async Task A_crossing_is_recorded_once_and_delivered_once_after_a_500_and_a_timeout()
    {
        await using var rig = await AlertRig.StartAsync();
        await using var hook = await WebhookReceiver.StartAsync(500, WebhookReceiver.Hang);
        var team = await rig.TeamAsync("platform");
        var key = await rig.KeyAsync(team, "ci", dailyBudget: 10m);
        var rule = await rig.RuleAsync(AlertScopes.Key, key, AlertPeriods.Day, [50, 80], hook.Url("key"));
        var otherTeam = await rig.TeamAsync("other");
        await rig.KeyAsync(otherTeam, "theirs", dailyBudget: 1m);
        var otherRule = await rig.RuleAsync(AlertScopes.Team, otherTeam, AlertPeriods.Day, [50], hook.Url("other"), budget: 1m);
        var (a, b) = (rig.StartSilo(), rig.StartSilo());

        await rig.ChargeAsync(key, 4.99m);
        Assert.Equal((0, 0), await a.RoundAsync());
        await rig.ChargeAsync(key, 0.01m);

        // Both silos evaluate and deliver at the same moment: one row, one request (answered 500).
        var first = await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        Assert.Equal(1, first.Sum(r => r.Recorded));
        Assert.Single(hook.Requests);
        var row = await rig.DeliveryAsync(rule.RuleId, 50);
        Assert.Equal((1, 500, "HTTP 500"), (row.Attempts, row.LastStatus, row.LastError?[..8]));
        Assert.Null(row.DeliveredAt);

        // Not due before its backoff; then the scripted timeout.
        await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        Assert.Single(hook.Requests);
        rig.Clock.Advance(TimeSpan.FromMinutes(2));
        await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        Assert.Equal(2, hook.Requests.Count);
        row = await rig.DeliveryAsync(rule.RuleId, 50);
        Assert.Equal(2, row.Attempts);
        Assert.Null(row.LastStatus);
        Assert.Contains("timed out", row.LastError, StringComparison.Ordinal);

        rig.Clock.Advance(TimeSpan.FromMinutes(2));
        var third = await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        Assert.Equal(1, third.Sum(r => r.Delivered));
        row = await rig.DeliveryAsync(rule.RuleId, 50);
        Assert.Equal((3, 200, null), (row.Attempts, row.LastStatus, row.LastError));
        Assert.NotNull(row.DeliveredAt);

        // 80 % as spend reaches it, delivered at the first attempt; then nothing more, however many rounds.
        await rig.ChargeAsync(key, 3m);
        await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        for (var i = 0; i < 3; i++)
        {
            rig.Clock.Advance(TimeSpan.FromMinutes(2));
            await Task.WhenAll(a.RoundAsync(), b.RoundAsync());
        }

        var requests = hook.Requests;
        Assert.Equal(4, requests.Count);
        Assert.Equal([50, 80], hook.Accepted.Select(r => r.Body.GetProperty("threshold").GetInt32()));
        Assert.All(requests, r => Assert.Equal("/key", r.Path));
        Assert.All(requests, r => Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal));
        // Every attempt at one crossing carries the same delivery id, so a receiver can drop a repeat.
        Assert.Single(requests.Take(3).Select(r => r.DeliveryHeader).Distinct());
        var accepted80 = hook.Accepted[1].Body;
        Assert.Equal((key, "ci", team, 8m, 10m), (accepted80.GetProperty("id").GetString(), accepted80.GetProperty("name").GetString(),
            accepted80.GetProperty("team").GetString(), accepted80.GetProperty("spend").GetDecimal(), accepted80.GetProperty("budget").GetDecimal()));
        Assert.Empty(await rig.Alerts.ListDeliveriesAsync(otherRule.RuleId, 10));
    }

    [Fact]
    public async Task A_new_day_is_a_new_crossing_and_a_restarted_silo_resends_nothing()
    {
        await using var rig = await AlertRig.StartAsync();
        await using var hook = await WebhookReceiver.StartAsync();
        var team = await rig.TeamAsync("platform");
        var key = await rig.KeyAsync(team, "ci", dailyBudget: 10m);
        var rule = await rig.RuleAsync(AlertScopes.Key, key, AlertPeriods.Day, [50], hook.Url("daily"));
        var silo = rig.StartSilo();

        await rig.ChargeAsync(key, 6m);
        Assert.Equal((1, 1), await silo.RoundAsync());

        // A restart: new services over the same database, several rounds, nothing sent again.
        var restarted = rig.StartSilo();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((0, 0), await restarted.RoundAsync());
        }
        Assert.Single(hook.Requests);

        // Just past midnight UTC: today's spend is 0, so nothing; then spend today crosses again.
        rig.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 8, 0, 0, 30, TimeSpan.Zero));
        Assert.Equal((0, 0), await restarted.RoundAsync());
        await rig.ChargeAsync(key, 5m);
        Assert.Equal((1, 1), await restarted.RoundAsync());

        Assert.Equal(["2026-12-07", "2026-12-08"], hook.Accepted.Select(r => r.Body.GetProperty("period_start").GetString()));
        Assert.Equal(5m, hook.Accepted[1].Body.GetProperty("spend").GetDecimal());
        Assert.Equal(2, (await rig.Alerts.ListDeliveriesAsync(rule.RuleId, 10)).Count);
    }

    [Fact]
    public async Task A_claim_lost_before_it_commits_is_sent_again_by_another_silo()
    {
        await using var rig = await AlertRig.StartAsync();
        await using var hook = await WebhookReceiver.StartAsync();
        var team = await rig.TeamAsync("platform");
        var key = await rig.KeyAsync(team, "ci", monthlyBudget: 100m);
        var rule = await rig.RuleAsync(AlertScopes.Key, key, AlertPeriods.Month, [10], hook.Url("monthly"));
        var silo = rig.StartSilo();
        await rig.ChargeAsync(key, 10m);
        Assert.Equal(1, await silo.Evaluator.EvaluateAsync(CancellationToken.None));

        // A silo claims the crossing and dies before committing (its transaction rolls back).
        await using (var claim = await rig.Alerts.ClaimDueAsync(rig.Clock.GetUtcNow(), 10))
        {
            Assert.Single(claim.Deliveries);
            // While it holds the claim, another silo sees nothing to send.
            Assert.Equal(0, await silo.Deliverer.DeliverDueAsync(CancellationToken.None));
            Assert.Empty(hook.Requests);
        }

        Assert.Equal(1, await rig.StartSilo().Deliverer.DeliverDueAsync(CancellationToken.None));
        Assert.Single(hook.Accepted);
        Assert.NotNull((await rig.DeliveryAsync(rule.RuleId, 10)).DeliveredAt);
    }

    [Fact]
    public async Task Three_silos_delivering_together_send_each_of_many_crossings_exactly_once()
    {
        await using var rig = await AlertRig.StartAsync();
        await using var hook = await WebhookReceiver.StartAsync();
        var team = await rig.TeamAsync("many");
        var keys = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var key = await rig.KeyAsync(team, $"k{i}", dailyBudget: 1m);
            keys.Add(key);
            await rig.RuleAsync(AlertScopes.Key, key, AlertPeriods.Day, [25, 50, 75, 100], hook.Url($"k{i}"));
            await rig.ChargeAsync(key, 1m);
        }
        // A team rule counts every key of the team: 8 × $1 against $10.
        var teamRule = await rig.RuleAsync(AlertScopes.Team, team, AlertPeriods.Day, [50, 80, 100], hook.Url("team"), budget: 10m);
        var silos = new[] { rig.StartSilo(), rig.StartSilo(), rig.StartSilo() };

        var rounds = await Task.WhenAll(silos.Select(s => s.RoundAsync()));
        rounds = [.. rounds, .. await Task.WhenAll(silos.Select(s => s.RoundAsync()))];

        Assert.Equal(8 * 4 + 2, rounds.Sum(r => r.Recorded));
        Assert.Equal(8 * 4 + 2, rounds.Sum(r => r.Delivered));
        var sent = hook.Requests;
        Assert.Equal(8 * 4 + 2, sent.Count);
        Assert.Equal(sent.Count, sent.Select(r => r.DeliveryHeader).Distinct().Count());
        Assert.Equal([50, 80], sent.Where(r => r.Path == "/team").Select(r => r.Body.GetProperty("threshold").GetInt32()).Order());
        Assert.All(sent.Where(r => r.Path == "/team"), r => Assert.Equal(8m, r.Body.GetProperty("spend").GetDecimal()));
        Assert.Equal(2, (await rig.Alerts.ListDeliveriesAsync(teamRule.RuleId, 10)).Count);
    }
}
