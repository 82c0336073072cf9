namespace Gateway.Grains.Abstractions;

/// <summary>
/// What the cluster has learned about one upstream credential: headroom from the upstream's
/// <c>anthropic-ratelimit-*</c> headers and a cool-down after a 429 (or a 529 naming a retry-after).
/// Keyed by <see cref="UpstreamKeyGrainKey.Of"/> (<c>provider/keyId</c>, never the secret). Fronts keep
/// a local view and sync with it in the background, never per request.
/// </summary>
public interface IUpstreamKeyGrain : IGrainWithStringKey
{
    /// <summary>Merges one front's latest observation and returns the merged view.</summary>
    Task<UpstreamKeyState> ReportAsync(UpstreamKeyState observation);

    Task<UpstreamKeyState> GetAsync();
}

public static class UpstreamKeyGrainKey
{
    public static string Of(string provider, string keyId) => provider + "/" + keyId;
}

/// <summary>
/// One credential's headroom as last observed (levels are from the newest response seen anywhere)
/// and the end of its cool-down (the latest any front was told).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UpstreamKeyState
{
    /// <summary>When the levels were read from a response; the newest observation wins.</summary>
    [Id(0)] public DateTimeOffset ObservedAt { get; init; }
    [Id(1)] public BucketLevel? Requests { get; init; }
    [Id(2)] public BucketLevel? Tokens { get; init; }
    [Id(3)] public BucketLevel? InputTokens { get; init; }
    [Id(4)] public BucketLevel? OutputTokens { get; init; }

    /// <summary>No request should use the key before this (after a 429 or 529 with retry-after).</summary>
    [Id(5)] public DateTimeOffset CoolDownUntil { get; init; }

    /// <summary>How many 429/529 cool-downs were reported (for operators and tests).</summary>
    [Id(6)] public long CoolDowns { get; init; }

    /// <summary>
    /// Per <see cref="ModelClass"/> (indexed by its value): no request of that class should use the key
    /// before this (after a 429 whose headers showed the bucket empty). Null: none. Never mutated.
    /// </summary>
    [Id(7)] public DateTimeOffset[]? ClassCoolDownUntil { get; init; }

    /// <summary>When requests of <paramref name="modelClass"/> may use the key again (key-wide and class cool-downs).</summary>
    public DateTimeOffset CoolDownFor(ModelClass modelClass)
    {
        var cls = ClassCoolDownUntil is { } until && (int)modelClass < until.Length ? until[(int)modelClass] : default;
        return cls > CoolDownUntil ? cls : CoolDownUntil;
    }

    public static readonly UpstreamKeyState Empty = new();

    /// <summary>Newest levels win; a cool-down only ever extends.</summary>
    public UpstreamKeyState Merge(UpstreamKeyState other)
    {
        var newer = other.ObservedAt > ObservedAt ? other : this;
        return newer with
        {
            CoolDownUntil = other.CoolDownUntil > CoolDownUntil ? other.CoolDownUntil : CoolDownUntil,
            CoolDowns = CoolDowns + other.CoolDowns,
            ClassCoolDownUntil = Later(ClassCoolDownUntil, other.ClassCoolDownUntil),
        };
    }

    private static DateTimeOffset[]? Later(DateTimeOffset[]? a, DateTimeOffset[]? b)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }
        var merged = new DateTimeOffset[ModelClasses.Count];
        for (var i = 0; i < merged.Length; i++)
        {
            var x = i < a.Length ? a[i] : default;
            var y = i < b.Length ? b[i] : default;
            merged[i] = x > y ? x : y;
        }
        return merged;
    }
}
