namespace Gateway.Grains.Abstractions;

/// <summary>What the cluster knows about a virtual key: never its secret, only who it belongs to and its rules.</summary>
[GenerateSerializer, Immutable]
public sealed record KeyDescriptor
{
    [Id(0)] public required string KeyId { get; init; }
    [Id(1)] public required string TeamId { get; init; }
    [Id(2)] public string? BillingTag { get; init; }
    [Id(3)] public string Name { get; init; } = "";

    /// <summary>Model names or globs (<c>claude-sonnet-*</c>) the key may use; empty allows every model.</summary>
    [Id(4)] public IReadOnlyList<string> AllowedModels { get; init; } = [];

    [Id(5)] public KeyLimits Limits { get; init; } = KeyLimits.Unlimited;
    [Id(6)] public bool Revoked { get; init; }

    /// <summary>Per-session limits applied to every session of this key (optional).</summary>
    [Id(7)] public SessionLimits? SessionLimits { get; init; }

    /// <summary>Server-side prompt-cache injection for this key: null follows the gateway's default, true/false overrides it.</summary>
    [Id(8)] public bool? CacheInjection { get; init; }

    /// <summary>TTL of the cache breakpoints the gateway adds for this key (<c>5m</c> or <c>1h</c>); null follows the gateway's default.</summary>
    [Id(9)] public string? CacheTtl { get; init; }

    /// <summary>
    /// <c>/v1</c> paths beyond the metered endpoints this key may reach, knowingly unmetered (see
    /// <see cref="Abstractions.OpenPaths"/>); empty: every other path is refused.
    /// </summary>
    [Id(10)] public IReadOnlyList<string> OpenPaths { get; init; } = [];
}
