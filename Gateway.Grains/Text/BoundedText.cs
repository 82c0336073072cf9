namespace Gateway.Grains.Text;

/// <summary>
/// The rule for every string that reaches Postgres, a metric label or a cache key: printable (no
/// control character, so no NUL, which Postgres text refuses; no lone surrogate, which UTF-8 cannot
/// hold) and bounded in length. A client's own request field is refused when it breaks the rule
/// (<see cref="IsPrintable"/>); a string the gateway only observes (an upstream's reply, a header kept
/// for the audit log) is made to fit (<see cref="Clean"/>), since refusing it would refuse nothing.
/// </summary>
public static class BoundedText
{
    /// <summary>Longest model name accepted in a request (Anthropic's ids are under 40 characters).</summary>
    public const int MaxModelLength = 256;

    /// <summary>Cap for observed identifiers: served model, tool names, agent ids.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Cap for short observed tokens: error types.</summary>
    public const int MaxTokenLength = 64;

    /// <summary>
    /// The model rule, for every model a client names (a request's, each of a batch's): 1 to
    /// <see cref="MaxModelLength"/> printable characters. One place, so the endpoints cannot drift.
    /// </summary>
    public static bool IsModelName(ReadOnlySpan<char> value) => value.Length is > 0 and <= MaxModelLength && IsPrintable(value);

    /// <summary>Whether <paramref name="value"/> holds no control character and no lone surrogate.</summary>
    public static bool IsPrintable(ReadOnlySpan<char> value) => IndexOfUnprintable(value) < 0;

    /// <summary>Index of the first control character or lone surrogate, or -1.</summary>
    public static int IndexOfUnprintable(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                return i;
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>
    /// <paramref name="value"/> without control characters, lone surrogates as U+FFFD, cut to
    /// <paramref name="maxLength"/> characters (never between the halves of a pair). The same instance
    /// when nothing needs changing (the usual case: no allocation); null for null.
    /// </summary>
    public static string? Clean(string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }
        var bad = IndexOfUnprintable(value);
        if (bad < 0 && value.Length <= maxLength)
        {
            return value;
        }
        var result = new System.Text.StringBuilder(Math.Min(value.Length, maxLength));
        for (var i = 0; i < value.Length && result.Length < maxLength; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                continue;
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                if (result.Length + 2 > maxLength)
                {
                    break;
                }
                result.Append(c).Append(value[++i]);
                continue;
            }
            result.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
        }
        return result.ToString();
    }
}
