namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Where a request field is, as OpenAI's <c>param</c> spells it (<c>messages[2].content[0].type</c>), kept
/// as parts and made into text only when an error names it: the translation of a valid request builds
/// no path strings. Parts: a head, an index, a middle, a second index, a tail — the deepest path the
/// translation reports.
/// </summary>
internal readonly struct FieldPath
{
    private readonly string _head;
    private readonly int _first;
    private readonly string? _middle;
    private readonly int _second;
    private readonly string? _tail;

    private FieldPath(string head, int first, string? middle, int second, string? tail)
    {
        _head = head;
        _first = first;
        _middle = middle;
        _second = second;
        _tail = tail;
    }

    public static implicit operator FieldPath(string name) => new(name, -1, null, -1, null);

    /// <summary>The element at <paramref name="index"/> of the array this path names.</summary>
    public FieldPath At(int index) =>
        _first < 0 && _middle is null ? new(_head, index, null, -1, null)
        : _second < 0 && _tail is null ? new(_head, _first, _middle ?? "", index, null)
        : new(ToString() + $"[{index}]", -1, null, -1, null);

    /// <summary>A field (<c>.name</c>, or several at once: <c>.function.name</c>) under this path.</summary>
    public FieldPath Field(string dotted) =>
        _first < 0 ? new(_head + dotted, -1, null, -1, null)
        : _second < 0 ? new(_head, _first, _middle + dotted, -1, null)
        : new(_head, _first, _middle, _second, _tail + dotted);

    public override string ToString() =>
        _head + (_first >= 0 ? $"[{_first}]" : "") + _middle + (_second >= 0 ? $"[{_second}]" : "") + _tail;
}
