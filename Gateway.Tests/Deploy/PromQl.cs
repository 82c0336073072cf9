using System.Text.RegularExpressions;
using Gateway.Front.Metrics;
using Gateway.Grains.Metrics;

namespace Gateway.Tests.Deploy;

/// <summary>The metric names a PromQL expression reads (enough PromQL for the chart's dashboard and alerts).</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> s_keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "le"];

    /// <summary>Every series name the gateway exports: FrontMetrics and GrainMetrics families, histograms' _bucket/_sum/_count.</summary>
    public static HashSet<string> ExportedSeries()
    {
        var exported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in FrontMetrics.Names.Concat(GrainMetrics.Names))
        {
            exported.UnionWith([name, name + "_bucket", name + "_sum", name + "_count"]);
        }
        return exported;
    }

    /// <summary>
    /// Identifiers not followed by "(" (functions), outside {...} label matchers, [...] ranges, strings and
    /// by/without label lists; <c>label_values(metric, label)</c> reads its metric.
    /// </summary>
    public static List<string> MetricNames(string query)
    {
        var withoutLabels = LabelLists().Replace(LabelValues().Replace(query, "$1"), " ");
        return Identifiers().Matches(withoutLabels)
            .Select(m => m.Value)
            .Where(v => !s_keywords.Contains(v) && !double.TryParse(v, out _))
            .ToList();
    }

    [GeneratedRegex(@"label_values\(\s*([^,]+),\s*\w+\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\{[^}]*\}|\b(by|without)\s*\([^)]*\)|\[[^\]]*\]|""[^""]*""")]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
