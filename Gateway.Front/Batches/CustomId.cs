namespace Gateway.Front.Batches;

/// <summary>A batch request's <c>custom_id</c> as Anthropic defines it: <c>^[a-zA-Z0-9_-]{1,64}$</c>. It becomes part of audit request ids.</summary>
public static class CustomId
{
    public const int MaxLength = 64;

    public static bool IsValid(ReadOnlySpan<char> id)
    {
        if (id.Length is 0 or > MaxLength)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
