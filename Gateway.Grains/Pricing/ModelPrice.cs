namespace Gateway.Grains.Pricing;

/// <summary>USD per million tokens for one model pattern. Cache prices default to Anthropic's multipliers.</summary>
public sealed class ModelPrice
{
    /// <summary>Exact model name or glob (<c>claude-sonnet-4*</c>).</summary>
    public string Model { get; set; } = "";
    public decimal InputPerMTok { get; set; }
    public decimal OutputPerMTok { get; set; }

    /// <summary>5-minute cache write; default 1.25 × input.</summary>
    public decimal? CacheWritePerMTok { get; set; }

    /// <summary>1-hour cache write; default 2 × input.</summary>
    public decimal? CacheWrite1hPerMTok { get; set; }

    /// <summary>Cache read; default 0.1 × input.</summary>
    public decimal? CacheReadPerMTok { get; set; }

    public decimal CacheWrite => CacheWritePerMTok ?? InputPerMTok * 1.25m;
    public decimal CacheWrite1h => CacheWrite1hPerMTok ?? InputPerMTok * 2m;
    public decimal CacheRead => CacheReadPerMTok ?? InputPerMTok * 0.1m;
}
