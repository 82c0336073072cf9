namespace Gateway.Grains.Abstractions;

/// <summary>Caps on one session (one Claude Code conversation), so a runaway agent loop stops on its own.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionLimits
{
    [Id(0)] public long? MaxRequests { get; init; }
    [Id(1)] public decimal? MaxCostUsd { get; init; }
}
