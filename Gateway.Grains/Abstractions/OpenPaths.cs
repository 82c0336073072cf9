namespace Gateway.Grains.Abstractions;

/// <summary>
/// The <c>/v1</c> paths outside the gateway's metered endpoints that an administrator opened for one
/// key (<see cref="KeyDescriptor.OpenPaths"/>): knowingly unmetered, forwarded with an audit row.
/// An entry is an exact path (<c>/v1/files</c>) or a prefix ending in one <c>*</c> (<c>/v1/files*</c>);
/// matching is ordinal (case-sensitive, like Anthropic's paths) against the canonical request path.
/// </summary>
public static class OpenPaths
{
    public const string Prefix = "/v1/";
    public const int MaxCount = 32;
    public const int MaxLength = 200;

    /// <summary>Whether <paramref name="path"/> (no query string) is opened by one of <paramref name="patterns"/>.</summary>
    public static bool AnyMatches(IReadOnlyList<string> patterns, ReadOnlySpan<char> path)
    {
        for (var i = 0; i < patterns.Count; i++)
        {
            if (Matches(patterns[i], path))
            {
                return true;
            }
        }
        return false;
    }

    public static bool Matches(string pattern, ReadOnlySpan<char> path) =>
        pattern.EndsWith('*')
            ? path.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal)
            : path.SequenceEqual(pattern);

    /// <summary>
    /// Why <paramref name="pattern"/> is not a valid entry, or null: it must start with <c>/v1/</c>, be
    /// canonical (no <c>//</c>, no <c>.</c>/<c>..</c> segment, no <c>%</c>, <c>\</c>, <c>?</c> or <c>#</c>),
    /// use only letters, digits and <c>/ _ - . :</c>, carry <c>*</c> only as its last character, and be
    /// at most <see cref="MaxLength"/> characters.
    /// </summary>
    public static string? Problem(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            return "is empty";
        }
        if (pattern.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters";
        }
        if (!pattern.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return $"must start with {Prefix}";
        }
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var allowed = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '/' or '_' or '-' or '.' or ':'
                || (c == '*' && i == pattern.Length - 1);
            if (!allowed)
            {
                return c == '*' ? "may carry '*' only as its last character" : $"contains '{(char.IsControl(c) ? '?' : c)}' (letters, digits and / _ - . : only)";
            }
        }
        var body = pattern.TrimEnd('*');
        if (body.Contains("//", StringComparison.Ordinal))
        {
            return "contains '//'";
        }
        foreach (var segment in body.Split('/'))
        {
            if (segment is "." or "..")
            {
                return "contains a '.' or '..' segment";
            }
        }
        return null;
    }

    /// <summary>Throws unless every entry is valid and there are at most <see cref="MaxCount"/>.</summary>
    public static void ThrowIfInvalid(IReadOnlyList<string>? patterns)
    {
        if (patterns is null)
        {
            return;
        }
        if (patterns.Count > MaxCount)
        {
            throw new ArgumentException($"At most {MaxCount} open paths, got {patterns.Count}.", nameof(patterns));
        }
        foreach (var pattern in patterns)
        {
            if (Problem(pattern) is { } problem)
            {
                throw new ArgumentException($"Open path '{pattern}' {problem}.", nameof(patterns));
            }
        }
    }
}
