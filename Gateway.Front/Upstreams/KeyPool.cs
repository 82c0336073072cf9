using Gateway.Grains.Abstractions;

namespace Gateway.Front.Upstreams;

/// <summary>
/// A provider's credentials. A pick takes the key with the most headroom that is not cooling down (for
/// the request's model class: a 429 limits one class of a key);
/// equal headroom goes round-robin. An empty pool means the client's own credential goes upstream.
/// </summary>
public sealed class KeyPool(IReadOnlyList<PooledKey> keys)
{
    private const double Tie = 1e-9;
    private int _next = -1;

    public IReadOnlyList<PooledKey> Keys { get; } = keys;

    public bool IsEmpty => Keys.Count == 0;

    public PooledKey? Pick(DateTimeOffset now, PooledKey? avoid = null, ModelClass modelClass = ModelClass.Other)
    {
        var count = Keys.Count;
        if (count == 0)
        {
            return null;
        }
        if (count == 1)
        {
            var only = Keys[0];
            return only != avoid && !only.IsCooling(now, modelClass) ? only : null;
        }
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        PooledKey? best = null;
        var bestScore = double.NegativeInfinity;
        for (var i = 0; i < count; i++)
        {
            var key = Keys[(start + i) % count];
            if (key == avoid || key.IsCooling(now, modelClass))
            {
                continue;
            }
            var score = key.Headroom(now);
            // Strictly better only: among equals the first in rotation order wins, which is round-robin.
            if (best is null || score > bestScore + Tie)
            {
                best = key;
                bestScore = score;
            }
        }
        return best;
    }

    /// <summary>Whether a key other than <paramref name="current"/> could take a retry now.</summary>
    public bool HasAvailableOtherThan(PooledKey? current, DateTimeOffset now, ModelClass modelClass = ModelClass.Other)
    {
        foreach (var key in Keys)
        {
            if (key != current && !key.IsCooling(now, modelClass))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>When the first key comes out of cool-down (for the retry-after of an exhausted pool).</summary>
    public DateTimeOffset SoonestAvailable(ModelClass modelClass = ModelClass.Other)
    {
        var soonest = DateTimeOffset.MaxValue;
        foreach (var key in Keys)
        {
            var until = key.CoolDownFor(modelClass);
            if (until < soonest)
            {
                soonest = until;
            }
        }
        return soonest;
    }
}
