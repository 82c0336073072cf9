namespace Gateway.Front.Streaming;

/// <summary>
/// Reads the fields of one server-sent-events line (as <see cref="SseLineSplitter"/> hands it over), the
/// one place the usage tap and both stream translators take <c>data:</c> and <c>event:</c> apart.
/// </summary>
public static class SseLine
{
    /// <summary>The line without a trailing <c>\r</c> (CRLF line ends).</summary>
    public static ReadOnlySpan<byte> TrimCarriageReturn(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>True for a <c>data:</c> line; <paramref name="data"/> is its value, one leading space dropped as the spec says.</summary>
    public static bool TryData(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> data) => TryField(line, "data:"u8, out data);

    /// <summary>True for an <c>event:</c> line; <paramref name="name"/> is the event's name.</summary>
    public static bool TryEvent(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name) => TryField(line, "event:"u8, out name);

    private static bool TryField(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix, out ReadOnlySpan<byte> value)
    {
        if (!line.StartsWith(prefix))
        {
            value = default;
            return false;
        }
        value = line[prefix.Length..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }
        return true;
    }
}
