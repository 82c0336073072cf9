namespace Gateway.Grains.Abstractions;

/// <summary>
/// The family an upstream's rate limits apply to: Anthropic limits each key per model class, so a 429
/// on one class leaves the others usable. A bounded set, never the client's raw model string.
/// </summary>
public enum ModelClass
{
    Other,
    Opus,
    Sonnet,
    Haiku,
}

public static class ModelClasses
{
    /// <summary>Number of <see cref="ModelClass"/> values (array sizes).</summary>
    public const int Count = 4;

    public static ModelClass Of(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return ModelClass.Other;
        }
        var name = model.AsSpan();
        return name.Contains("opus", StringComparison.OrdinalIgnoreCase) ? ModelClass.Opus
            : name.Contains("sonnet", StringComparison.OrdinalIgnoreCase) ? ModelClass.Sonnet
            : name.Contains("haiku", StringComparison.OrdinalIgnoreCase) ? ModelClass.Haiku
            : ModelClass.Other;
    }
}
