using Gateway.Grains.Abstractions;

namespace Gateway.Front.Batches;

/// <summary>One line of a batch's results: the request's custom id, how it ended and, if it succeeded, its usage.</summary>
public sealed record BatchResult
{
    public required string CustomId { get; init; }

    /// <summary><c>succeeded</c>, <c>errored</c>, <c>canceled</c> or <c>expired</c>.</summary>
    public required string Type { get; init; }
    public string? Model { get; init; }
    public string? ErrorType { get; init; }
    public TokenUsage Tokens { get; init; }

    public bool Succeeded => Type == "succeeded";
}
