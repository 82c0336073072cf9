namespace Gateway.Front.Rewrite;

/// <summary>How a marker is inserted at a spot.</summary>
internal enum SpotShape : byte
{
    None,

    /// <summary>A JSON object with at least one property: <c>,"cache_control":{…}</c> goes before its closing brace.</summary>
    Object,

    /// <summary>An empty object <c>{}</c>: the property goes in without a leading comma.</summary>
    EmptyObject,

    /// <summary>A string (<c>system</c> or a message's <c>content</c>): it becomes <c>[{"type":"text","text":…,"cache_control":{…}}]</c>.</summary>
    String,
}

/// <summary>
/// A place in the body where a breakpoint could go, by byte offset. For an object, <see cref="Start"/> is
/// its opening brace and <see cref="End"/> its closing brace; for a string, the opening quote and the
/// index just past the closing quote.
/// </summary>
internal readonly record struct Spot(SpotShape Shape, int Start, int End, bool HasMarker, bool Cacheable)
{
    public bool Present => Shape != SpotShape.None;

    /// <summary>Offset just past the block: the prefix a marker here would cache ends there.</summary>
    public int BlockEnd => Shape == SpotShape.String ? End : End + 1;

    public static Spot Object(int start, int end, bool empty, bool hasMarker, bool cacheable) =>
        new(empty ? SpotShape.EmptyObject : SpotShape.Object, start, end, hasMarker, cacheable);

    public static Spot String(int start, int end, bool cacheable) => new(SpotShape.String, start, end, false, cacheable);
}
