using System.Globalization;
using Gateway.Front.Metrics;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The optional PrometheusRule: alerts on dropped audit rows, settlement failures, an open upstream breaker,
/// budgets reached and teams near their daily budget, over metrics the gateway really exports.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed class ChartAlertTests
{
    private const string RuleValues = """
        prometheusRule:
          enabled: true
          labels: {release: kube-prometheus-stack}
          budgetWarningRatio: 0.8
          teamDailyBudgetsUsd: {team_platform: 500, team_research: 120.5}
        """;

    [Fact]
    public async Task Every_alert_reads_only_metrics_the_gateway_exports()
    {
        using var values = ValuesFile.Write(RuleValues);
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("production.yaml"), values.Path]);
        var exported = PromQl.ExportedSeries();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in Rules(chart))
        {
            var expr = rule.GetProperty("expr").GetString()!;
            var metrics = PromQl.MetricNames(expr);
            Assert.True(metrics.Count > 0, $"alert reads no metric: {expr}");
            foreach (var metric in metrics)
            {
                Assert.True(exported.Contains(metric), $"alert {rule.GetProperty("alert")} reads {metric}, which the gateway does not export: {expr}");
                used.Add(metric);
            }
            Assert.Contains("namespace=\"gateway\"", expr);
        }

        string[] required =
        [
            FrontMetrics.AuditRowsDroppedTotal, FrontMetrics.SettlementFailuresTotal, FrontMetrics.UpstreamErrorsTotal,
            FrontMetrics.RejectionsTotal, FrontMetrics.CostUsdTotal,
        ];
        Assert.All(required, metric => Assert.Contains(metric, used));
    }

    [Fact]
    public async Task Alerts_cover_audit_settlement_breaker_and_budgets()
    {
        using var values = ValuesFile.Write(RuleValues);
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("production.yaml"), values.Path]);
        Assert.Equal("kube-prometheus-stack", Workloads.Label(chart.Get("PrometheusRule", "gw-gateway").GetProperty("metadata"), "release"));
        var rules = Rules(chart).ToList();
        var byName = rules.GroupBy(r => r.GetProperty("alert").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(
            ["GatewayAuditRowsDropped", "GatewayBudgetReached", "GatewaySettlementFailures", "GatewayTeamNearDailyBudget", "GatewayUpstreamBreakerOpen"],
            byName.Keys.Order(StringComparer.Ordinal));

        // The breaker alert reads the kind the forwarder records when it skips an upstream whose circuit is open.
        Assert.Contains("kind=\"circuit_open\"", byName["GatewayUpstreamBreakerOpen"][0].GetProperty("expr").GetString());
        // The budget alert reads the rejection reasons admission records for budgets.
        Assert.Contains("budget_daily|budget_monthly", byName["GatewayBudgetReached"][0].GetProperty("expr").GetString());

        // One near-budget alert per listed team, at ratio x budget.
        var near = byName["GatewayTeamNearDailyBudget"].ToDictionary(r => r.GetProperty("labels").GetProperty("team").GetString()!, r => r.GetProperty("expr").GetString()!);
        Assert.Equal(["team_platform", "team_research"], near.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("team=\"team_platform\"", near["team_platform"]);
        Assert.Equal(400, Threshold(near["team_platform"]), 6);
        Assert.Equal(96.4, Threshold(near["team_research"]), 6);
    }

    [Fact]
    public async Task No_rule_unless_enabled()
    {
        var chart = await DeployTools.RenderValidAsync("gw", [DeployTools.CiValues("external-databases.yaml")]);
        Assert.Empty(chart.OfKind("PrometheusRule"));
    }

    private static IEnumerable<System.Text.Json.JsonElement> Rules(RenderedChart chart) =>
        chart.Get("PrometheusRule", "gw-gateway").GetProperty("spec").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray());

    private static double Threshold(string expr) =>
        double.Parse(expr[(expr.LastIndexOf('>') + 1)..].Trim(), CultureInfo.InvariantCulture);
}
