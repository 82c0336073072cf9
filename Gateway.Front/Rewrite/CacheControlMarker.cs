namespace Gateway.Front.Rewrite;

/// <summary>
/// The exact bytes the injector inserts, and nothing else: compact JSON, so the rewritten body differs
/// from the client's only by these runs.
/// </summary>
internal static class CacheControlMarker
{
    /// <summary><c>,"cache_control":{…}</c> (or without the comma for an empty object), inserted before a closing brace.</summary>
    public static ReadOnlySpan<byte> Property(bool oneHour, bool leadingComma) => (oneHour, leadingComma) switch
    {
        (false, true) => ",\"cache_control\":{\"type\":\"ephemeral\"}"u8,
        (false, false) => "\"cache_control\":{\"type\":\"ephemeral\"}"u8,
        (true, true) => ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}"u8,
        (true, false) => "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}"u8,
    };

    /// <summary>Inserted before a string <c>system</c> or <c>content</c>: the string becomes the text of one block.</summary>
    public static ReadOnlySpan<byte> WrapOpen => "[{\"type\":\"text\",\"text\":"u8;

    /// <summary>Inserted after the wrapped string: the marker, then the block and the array close.</summary>
    public static ReadOnlySpan<byte> WrapClose(bool oneHour) => oneHour
        ? ",\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]"u8
        : ",\"cache_control\":{\"type\":\"ephemeral\"}}]"u8;
}
