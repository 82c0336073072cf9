using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Metrics;

/// <summary>
/// The PromQL of the chart's Grafana dashboards (<c>helm/dashboards/*.json</c>): every panel target's
/// <c>expr</c> and every query variable (<see cref="PromQl.MetricNames"/> reads their metric names).
/// </summary>
internal static class DashboardQueries
{
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
}
