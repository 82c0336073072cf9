using System.Globalization;
using System.Net.Http.Headers;

namespace Gateway.Tests.Metrics;

/// <summary>A scrape in the Prometheus text format: the families' types and each series' value.</summary>
internal sealed class PrometheusText
{
    private PrometheusText(string text, MediaTypeHeaderValue? contentType)
    {
        Text = text;
        ContentType = contentType;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Types[parts[2]] = parts[3];
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                var space = line.LastIndexOf(' ');
                Series[line[..space]] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }
    }

    public string Text { get; }

    public MediaTypeHeaderValue? ContentType { get; }

    /// <summary>Family name → <c>counter</c>, <c>gauge</c>, <c>histogram</c>, …</summary>
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    /// <summary>Series as written (<c>name{a="b",c="d"}</c>) → value.</summary>
    public Dictionary<string, double> Series { get; } = new(StringComparer.Ordinal);

    public static async Task<PrometheusText> ScrapeAsync(HttpClient client, Uri address)
    {
        using var response = await client.GetAsync(address);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {address}: {(int)response.StatusCode}{Environment.NewLine}{text}");
        return new PrometheusText(text, response.Content.Headers.ContentType);
    }

    /// <summary>The value of the series <paramref name="name"/> with exactly these labels (in prometheus-net's order), or 0 if absent.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Series.TryGetValue(Key(name, labels), out var value) ? value : 0;

    public bool Has(string name, params (string Name, string Value)[] labels) => Series.ContainsKey(Key(name, labels));

    public static string Key(string name, params (string Name, string Value)[] labels) =>
        labels.Length == 0 ? name : $"{name}{{{string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\""))}}}";
}
