using System.Collections.Concurrent;
using Gateway.Grains.Text;

namespace Gateway.Grains.Metrics;

/// <summary>
/// Keeps one label's cardinality bounded: the first <c>limit</c> distinct values pass as they are (cut to
/// <see cref="MaxLength"/> characters), every later new value becomes <see cref="Overflow"/>, and a null or
/// empty value becomes the given placeholder. A value seen once costs one dictionary lookup afterwards.
/// Published values are cleaned (no control characters or lone surrogates) and only they are kept, so
/// a hostile 100 KB value costs its cut form, never itself.
/// </summary>
public sealed class BoundedLabel(int limit, string empty = "unknown")
{
    public const string Overflow = "other";

    public const int MaxLength = 100;

    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>The label value to publish for <paramref name="value"/>.</summary>
    public string Of(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return empty;
        }
        if (_values.TryGetValue(value, out var known))
        {
            return known;
        }
        var published = BoundedText.Clean(value, MaxLength)!;
        if (published.Length == 0)
        {
            return empty;
        }
        if (!ReferenceEquals(published, value) && _values.TryGetValue(published, out known))
        {
            return known;
        }
        if (Volatile.Read(ref _count) >= limit)
        {
            return Overflow;
        }
        if (_values.TryAdd(published, published))
        {
            Interlocked.Increment(ref _count);
        }
        return published;
    }
}
