using System.Text.Json;
using Gateway.Grains.Alerts;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Alerts;

/// <summary>The webhook body: Slack-compatible <c>text</c> plus the structured fields, names escaped for Slack.</summary>
public sealed class WebhookPayloadTests
{
    private static readonly DateTimeOffset Crossed = new(2026, 12, 7, 15, 4, 5, TimeSpan.Zero);

    [Fact]
    public void A_key_crossing_carries_text_and_every_structured_field()
    {
        var standing = Standing(AlertScopes.Key, "key_0123456789ab", "ci <!channel> & co", AlertPeriods.Day, spend: 8.5m);
        using var body = JsonDocument.Parse(WebhookPayload.Build(standing, 80, 10m, Crossed));
        var root = body.RootElement;

        Assert.Equal(
            "Budget alert: key \"ci &lt;!channel&gt; &amp; co\" (team \"Platform\") reached 80% of its daily budget: $8.50 of $10.00 (85%) in 2026-12-07 UTC.",
            root.GetProperty("text").GetString());
        Assert.Equal("key", root.GetProperty("scope").GetString());
        Assert.Equal("key_0123456789ab", root.GetProperty("id").GetString());
        // Structured fields carry the name as it is; only Slack's text is escaped.
        Assert.Equal("ci <!channel> & co", root.GetProperty("name").GetString());
        Assert.Equal("team_1", root.GetProperty("team").GetString());
        Assert.Equal("Platform", root.GetProperty("team_name").GetString());
        Assert.Equal("day", root.GetProperty("period").GetString());
        Assert.Equal("2026-12-07", root.GetProperty("period_start").GetString());
        Assert.Equal(80, root.GetProperty("threshold").GetInt32());
        Assert.Equal(8.5m, root.GetProperty("spend").GetDecimal());
        Assert.Equal(10m, root.GetProperty("budget").GetDecimal());
        Assert.Equal("USD", root.GetProperty("currency").GetString());
        Assert.Equal("alr_1", root.GetProperty("rule_id").GetString());
        Assert.Equal(Crossed, root.GetProperty("crossed_at").GetDateTimeOffset());
    }

    [Fact]
    public void A_team_crossing_names_the_team_once_and_the_month()
    {
        var standing = Standing(AlertScopes.Team, "team_1", "Platform", AlertPeriods.Month, spend: 0.0125m) with { PeriodStart = new DateOnly(2026, 12, 1) };
        var text = WebhookPayload.Text(standing, 50, 0.02m);
        Assert.Equal("Budget alert: team \"Platform\" reached 50% of its monthly budget: $0.0125 of $0.02 (62%) in 2026-12 UTC.", text);
    }

    private static RuleStanding Standing(string scope, string id, string name, string period, decimal spend) => new(
        new AlertRule { RuleId = "alr_1", Name = "r", Scope = scope, TargetId = id, Period = period, Thresholds = [50, 80], WebhookUrl = "https://x.example/" },
        new DateOnly(2026, 12, 7), name, "team_1", "Platform", spend, 10m, []);
}
