using System.Text.RegularExpressions;
using Gateway.Front.Metrics;
using Gateway.Grains.Metrics;

namespace Gateway.Tests.Infrastructure;

/// <summary>The metric names a PromQL expression reads (enough PromQL for the chart's dashboard and alerts).</summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> s_keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "le", "inf", "nan"];

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
    /// Identifiers not called as functions, outside strings, {...} label matchers, [...] ranges and by/without/on/ignoring/group_*
    /// label lists; <c>label_values(metric, label)</c> reads its metric. A histogram's <c>_bucket</c> series stays as written.
    /// </summary>
    public static List<string> MetricNames(string query)
    {
        var bare = NotMetrics().Replace(LabelValues().Replace(query, "$1"), " ");
        return Identifiers().Matches(bare)
            .Select(m => m.Value)
            .Where(v => !s_keywords.Contains(v) && !double.TryParse(v, out _))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex(@"label_values\(\s*([^,()]+?)\s*,\s*\w+\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex NotMetrics();

    [GeneratedRegex(@"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifiers();
}
