namespace Gateway.Front.Batches;

/// <summary>
/// What a model string must be before it reaches a price lookup, a label or Postgres: 1–256
/// characters, none of them a control character or a lone surrogate.
/// </summary>
public static class ModelName
{
    public const int MaxLength = 256;

    public static bool IsSane(string model)
    {
        if (model.Length is 0 or > MaxLength)
        {
            return false;
        }
        for (var i = 0; i < model.Length; i++)
        {
            var c = model[i];
            if (char.IsControl(c))
            {
                return false;
            }
            if (char.IsHighSurrogate(c) && i + 1 < model.Length && char.IsLowSurrogate(model[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }
}
