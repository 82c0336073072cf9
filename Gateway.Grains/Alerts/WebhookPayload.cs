using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Grains.Storage;

namespace Gateway.Grains.Alerts;

/// <summary>
/// The body posted for one crossing: Slack-compatible (<c>text</c>, which Slack, Mattermost, Rocket.Chat and
/// Teams' incoming-webhook adapters show) plus structured fields for anything else: <c>scope</c>, <c>id</c>,
/// <c>name</c>, <c>team</c>, <c>period</c>, <c>threshold</c>, <c>spend</c>, <c>budget</c> and context.
/// Built once, when the threshold is crossed, and stored with the crossing, so a retry sends the same bytes.
/// </summary>
public static class WebhookPayload
{
    public static string Build(RuleStanding standing, int threshold, decimal budgetUsd, DateTimeOffset crossedAt)
    {
        ArgumentNullException.ThrowIfNull(standing);
        var rule = standing.Rule;
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("text"u8, Text(standing, threshold, budgetUsd));
            json.WriteString("scope"u8, rule.Scope);
            json.WriteString("id"u8, rule.TargetId);
            WriteNullable(json, "name"u8, standing.TargetName);
            WriteNullable(json, "team"u8, standing.TeamId);
            WriteNullable(json, "team_name"u8, standing.TeamName);
            json.WriteString("period"u8, rule.Period);
            json.WriteString("period_start"u8, standing.PeriodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteNumber("threshold"u8, threshold);
            json.WriteNumber("spend"u8, Math.Round(standing.SpendUsd, 8));
            json.WriteNumber("budget"u8, Math.Round(budgetUsd, 8));
            json.WriteString("currency"u8, "USD"u8);
            json.WriteString("rule_id"u8, rule.RuleId);
            json.WriteString("rule_name"u8, rule.Name);
            json.WriteString("crossed_at"u8, crossedAt.ToUniversalTime());
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>One line for people. Names are escaped for Slack (<c>&amp; &lt; &gt;</c>), so a key or team name cannot ping a channel or forge a link.</summary>
    public static string Text(RuleStanding standing, int threshold, decimal budgetUsd)
    {
        ArgumentNullException.ThrowIfNull(standing);
        var rule = standing.Rule;
        var who = new StringBuilder();
        who.Append(rule.Scope).Append(" \"").Append(Escape(standing.TargetName ?? rule.TargetId)).Append('"');
        if (rule.Scope != AlertScopes.Team && standing.TeamName is { } team)
        {
            who.Append(" (team \"").Append(Escape(team)).Append("\")");
        }
        var period = rule.Period == AlertPeriods.Day
            ? standing.PeriodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : standing.PeriodStart.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var percent = budgetUsd > 0 ? Math.Floor(standing.SpendUsd * 100 / budgetUsd) : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"Budget alert: {who} reached {threshold}% of its {(rule.Period == AlertPeriods.Day ? "daily" : "monthly")} budget: " +
            $"{Usd(standing.SpendUsd)} of {Usd(budgetUsd)} ({percent}%) in {period} UTC.");
    }

    private static string Usd(decimal value) =>
        "$" + value.ToString(Math.Abs(value) >= 1 ? "#,0.00" : "0.00####", CultureInfo.InvariantCulture);

    private static string Escape(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static void WriteNullable(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }
}
