using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Metrics;

/// <summary>
/// The PromQL of the chart's Grafana dashboards (<c>helm/dashboards/*.json</c>): every panel target's
/// <c>expr</c> and every query variable, and the metric names they read.
/// </summary>
internal static partial class DashboardQueries
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    };

    /// <summary>Every query of every dashboard, as written.</summary>
    public static IReadOnlyList<string> All()
    {
        var queries = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepoPaths.Root, "helm", "dashboards"), "*.json"))
        {
            Collect(JsonNode.Parse(File.ReadAllText(file)), queries);
        }
        return queries;
    }

    /// <summary>The metric names one query reads (a histogram's <c>_bucket</c> series as written).</summary>
    public static IReadOnlySet<string> MetricNames(string query)
    {
        // label_values(metric, label) reads the metric; then drop strings, {matchers}, [ranges] and by/on (...) label lists,
        // and what is left that is an identifier not called as a function is a metric name.
        var bare = LabelValues().Replace(query, "$1");
        bare = NotMetrics().Replace(bare, " ");
        return Identifiers().Matches(bare).Select(m => m.Value).Where(v => !Keywords.Contains(v)).ToHashSet(StringComparer.Ordinal);
    }

    private static void Collect(JsonNode? node, List<string> queries)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["expr"] is JsonValue expr && expr.TryGetValue<string>(out var promql))
                {
                    queries.Add(promql);
                }
                if (obj["type"]?.GetValue<string>() == "query" && obj["query"] is JsonValue variable && variable.TryGetValue<string>(out var values))
                {
                    queries.Add(values);
                }
                foreach (var (_, child) in obj)
                {
                    Collect(child, queries);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Collect(child, queries);
                }
                break;
        }
    }

    [GeneratedRegex(@"label_values\(\s*([^,()]+?)\s*,\s*\w+\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex NotMetrics();

    [GeneratedRegex(@"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
