namespace Gateway.Grains.Pricing;

/// <summary>
/// The price table (section <c>Pricing</c>), shared by fronts (audit, sessions) and silos (budgets)
/// so both price a request the same. Configured <see cref="Models"/> are tried first, then the
/// built-in list; the first matching pattern wins and <see cref="Default"/> prices the rest.
/// </summary>
public sealed class PricingOptions
{
    public const string Section = "Pricing";

    public List<ModelPrice> Models { get; set; } = [];

    /// <summary>Anthropic's list prices (USD per million tokens) when this table was written.</summary>
    public static readonly IReadOnlyList<ModelPrice> BuiltIn =
    [
        new() { Model = "claude-opus-4-5*", InputPerMTok = 5m, OutputPerMTok = 25m },
        new() { Model = "claude-opus-4*", InputPerMTok = 15m, OutputPerMTok = 75m },
        new() { Model = "claude-opus-*", InputPerMTok = 5m, OutputPerMTok = 25m },
        new() { Model = "claude-sonnet-*", InputPerMTok = 3m, OutputPerMTok = 15m },
        new() { Model = "claude-3-7-sonnet*", InputPerMTok = 3m, OutputPerMTok = 15m },
        new() { Model = "claude-haiku-4*", InputPerMTok = 1m, OutputPerMTok = 5m },
        new() { Model = "claude-3-5-haiku*", InputPerMTok = 0.8m, OutputPerMTok = 4m },
        new() { Model = "claude-3-haiku*", InputPerMTok = 0.25m, OutputPerMTok = 1.25m },
    ];

    /// <summary>Price for models no entry matches: the dearest common tier, so budgets err on the safe side.</summary>
    public ModelPrice Default { get; set; } = new() { Model = "*", InputPerMTok = 15m, OutputPerMTok = 75m };
}
