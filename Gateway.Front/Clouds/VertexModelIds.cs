namespace Gateway.Front.Clouds;

/// <summary>
/// Model names as clients send them (<c>claude-sonnet-4-5</c>) ↔ Vertex AI model ids
/// (<c>claude-sonnet-4-5@20250929</c>). A provider's <c>Models</c> table comes first, then the built-in defaults,
/// then Anthropic's dated form (<c>claude-x-20250101</c> → <c>claude-x@20250101</c>); anything else is sent as
/// it is (newer models take their plain name on Vertex). The id goes into a URL path, so it is checked first:
/// a client's text never reaches the path unless it is a plain model id.
/// </summary>
public static class VertexModelIds
{
    /// <summary>Longest model id accepted; Anthropic's and Vertex's ids are a few dozen characters.</summary>
    public const int MaxLength = 128;

    /// <summary>The Vertex AI versions of the models Anthropic names without a date.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["claude-opus-4-5"] = "claude-opus-4-5@20251101",
        ["claude-sonnet-4-5"] = "claude-sonnet-4-5@20250929",
        ["claude-haiku-4-5"] = "claude-haiku-4-5@20251001",
        ["claude-opus-4-1"] = "claude-opus-4-1@20250805",
        ["claude-opus-4-0"] = "claude-opus-4@20250514",
        ["claude-opus-4"] = "claude-opus-4@20250514",
        ["claude-sonnet-4-0"] = "claude-sonnet-4@20250514",
        ["claude-sonnet-4"] = "claude-sonnet-4@20250514",
        ["claude-3-7-sonnet"] = "claude-3-7-sonnet@20250219",
        ["claude-3-7-sonnet-latest"] = "claude-3-7-sonnet@20250219",
        ["claude-3-5-haiku"] = "claude-3-5-haiku@20241022",
        ["claude-3-5-haiku-latest"] = "claude-3-5-haiku@20241022",
    };

    private static readonly Dictionary<string, string> DefaultsBack =
        Defaults.Where(d => !d.Key.EndsWith("-latest", StringComparison.Ordinal) && !d.Key.EndsWith("-0", StringComparison.Ordinal))
            .GroupBy(d => d.Value, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether <paramref name="id"/> may stand in a URL path segment: 1–128 ASCII letters, digits, '.', '-', '_',
    /// starting with a letter or digit, with at most one '@' (before a version).
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxLength || !char.IsAsciiLetterOrDigit(id[0]))
        {
            return false;
        }
        var ats = 0;
        foreach (var c in id)
        {
            if (c == '@')
            {
                ats++;
                continue;
            }
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_'))
            {
                return false;
            }
        }
        return ats <= 1 && id[^1] != '@';
    }

    /// <summary>A client's string fit to quote in an error message: cut to 200 characters.</summary>
    public static string Quote(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");

    /// <summary>The Vertex id for <paramref name="model"/>, or null when it is not a valid model id.</summary>
    public static string? ToVertex(string model, IReadOnlyDictionary<string, string>? table)
    {
        if (table is not null && table.TryGetValue(model, out var configured))
        {
            return IsValid(configured) ? configured : null;
        }
        if (!IsValid(model))
        {
            return null;
        }
        if (Defaults.TryGetValue(model, out var known))
        {
            return known;
        }
        // Anthropic's dated ids (claude-sonnet-4-5-20250929) are Vertex's name@date.
        if (model.Length > 9 && model[^9] == '-' && model.AsSpan(model.Length - 8).ContainsAnyExceptInRange('0', '9') is false && !model.Contains('@'))
        {
            return string.Concat(model.AsSpan(0, model.Length - 9), "@", model.AsSpan(model.Length - 8));
        }
        return model;
    }

    /// <summary>
    /// The client-facing name for a Vertex id a client sent (the Vertex ingress): the table's or the defaults'
    /// name, else <c>name@date</c> as Anthropic's <c>name-date</c>; null when it is not a valid model id.
    /// </summary>
    public static string? FromVertex(string id, IEnumerable<KeyValuePair<string, string>>? tables = null)
    {
        if (!IsValid(id))
        {
            return null;
        }
        if (tables is not null)
        {
            foreach (var (name, vertex) in tables)
            {
                if (vertex.Equals(id, StringComparison.OrdinalIgnoreCase))
                {
                    return name;
                }
            }
        }
        if (DefaultsBack.TryGetValue(id, out var known))
        {
            return known;
        }
        var at = id.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? id : string.Concat(id.AsSpan(0, at), "-", id.AsSpan(at + 1));
    }
}
