namespace Gateway.Grains.Pricing;

/// <summary>Model-name globs: <c>*</c> matches any run of characters, <c>?</c> one; case-insensitive.</summary>
public static class ModelPattern
{
    public static bool Matches(string pattern, string model)
    {
        int p = 0, m = 0, star = -1, mark = 0;
        while (m < model.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(model[m])))
            {
                p++;
                m++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = m;
            }
            else if (star >= 0)
            {
                p = star + 1;
                m = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    /// <summary>True when <paramref name="patterns"/> is empty (no restriction) or one of them matches.</summary>
    public static bool AnyMatches(IReadOnlyList<string> patterns, string model)
    {
        if (patterns.Count == 0)
        {
            return true;
        }
        foreach (var pattern in patterns)
        {
            if (Matches(pattern, model))
            {
                return true;
            }
        }
        return false;
    }
}
