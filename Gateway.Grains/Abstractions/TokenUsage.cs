namespace Gateway.Grains.Abstractions;

/// <summary>
/// The tokens a request is billed for, in Anthropic's parts: fresh input, output, cache writes (all of
/// them, <see cref="CacheCreation1h"/> the part written for an hour) and cache reads. The one shape of
/// these counts for observations, charges, audit rows and totals. Orleans messages that carried the counts
/// as their own <c>[Id]</c> fields before this existed keep them (the wire stays) and expose them as a
/// <c>Tokens</c> property that reads and sets those fields.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct TokenUsage(
    [property: Id(0)] long Input,
    [property: Id(1)] long Output,
    [property: Id(2)] long CacheCreation,
    [property: Id(3)] long CacheRead,
    [property: Id(4)] long CacheCreation1h = 0)
{
    /// <summary>All input the upstream billed: fresh, cache writes and cache reads (what input rate limits count).</summary>
    public long BilledInput => Input + CacheCreation + CacheRead;

    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new(
        a.Input + b.Input,
        a.Output + b.Output,
        a.CacheCreation + b.CacheCreation,
        a.CacheRead + b.CacheRead,
        a.CacheCreation1h + b.CacheCreation1h);
}
