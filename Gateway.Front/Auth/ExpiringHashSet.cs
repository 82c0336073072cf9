using System.Collections.Concurrent;

namespace Gateway.Front.Auth;

/// <summary>
/// Key hashes remembered for a while, at most <c>capacity</c> of them: when full, expired entries go, and
/// if that is not enough, everything (it is a cache; forgetting only costs a lookup). Thread-safe.
/// </summary>
internal sealed class ExpiringHashSet(int capacity, TimeSpan lifetime, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _expiries = new(StringComparer.Ordinal);

    /// <summary>Approximate (ConcurrentDictionary.Count takes every lock).</summary>
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public bool Contains(string hash)
    {
        if (!_expiries.TryGetValue(hash, out var expires))
        {
            return false;
        }
        if (expires > time.GetUtcNow().UtcTicks)
        {
            return true;
        }
        Remove(hash);
        return false;
    }

    /// <summary>Remembers <paramref name="hash"/> for the lifetime from now (again, if it was there).</summary>
    public void Add(string hash)
    {
        if (lifetime <= TimeSpan.Zero)
        {
            return;
        }
        var expires = (time.GetUtcNow() + lifetime).UtcTicks;
        if (_expiries.TryGetValue(hash, out _))
        {
            _expiries[hash] = expires;
            return;
        }
        if (Count >= capacity)
        {
            Sweep();
            if (Count >= capacity)
            {
                _expiries.Clear();
                Volatile.Write(ref _count, 0);
            }
        }
        if (_expiries.TryAdd(hash, expires))
        {
            Interlocked.Increment(ref _count);
        }
    }

    public void Remove(string hash)
    {
        if (_expiries.TryRemove(hash, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Drops expired entries.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow().UtcTicks;
        foreach (var (hash, expires) in _expiries)
        {
            if (expires <= now)
            {
                Remove(hash);
            }
        }
    }
}
