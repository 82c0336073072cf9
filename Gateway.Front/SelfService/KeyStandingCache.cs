using System.Collections.Concurrent;
using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.SelfService;

/// <summary>
/// A front's short memory of each key's standing, so a flood of <c>GET /gateway/usage</c> with one key costs one
/// grain call per <see cref="SelfServiceOptions.CacheTime"/>: concurrent callers share the read in flight, later ones
/// the result until it is that old. A failed read is not kept (the next caller tries again, still one at a time).
/// Only keys that authenticated get an entry, and entries older than the cache time are swept as new ones come,
/// so memory is bounded by the keys in use. Hand-written rather than <c>IMemoryCache</c>: its
/// <c>GetOrCreate</c> runs the factory once per racing caller, which is the grain call this exists to share.
/// </summary>
public sealed class KeyStandingCache(IGrainFactory grains, IOptions<SelfServiceOptions> options, IOptions<AdmissionOptions> admission,
    TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _cacheTime = options.Value.CacheTime;
    private readonly AdmissionOptions _admission = admission.Value;
    private long _grainReads;
    private long _lastSweepTicks;

    /// <summary>Grain reads made so far (each attempt counts), for tests and the flood bound.</summary>
    public long GrainReads => Interlocked.Read(ref _grainReads);

    /// <summary>Keys remembered now.</summary>
    public int Count => _entries.Count;

    public Task<KeyStanding> GetAsync(KeyDescriptor key)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            var found = _entries.TryGetValue(key.KeyId, out var entry);
            if (found && !entry!.IsStale(now))
            {
                return entry.Standing;
            }
            var fresh = new Entry(now + _cacheTime);
            if (found ? _entries.TryUpdate(key.KeyId, fresh, entry!) : _entries.TryAdd(key.KeyId, fresh))
            {
                SweepNowAndThen(now);
                _ = FillAsync(fresh, key);
                return fresh.Standing;
            }
            // Another caller replaced the entry first: take theirs.
        }
    }

    private async Task FillAsync(Entry entry, KeyDescriptor key)
    {
        try
        {
            entry.Complete(await BoundedGrainCall.RunAsync(() =>
            {
                Interlocked.Increment(ref _grainReads);
                return KeyStanding.ReadAsync(grains, key, time);
            }, _admission));
        }
        catch (Exception e)
        {
            entry.Fail(e);
        }
    }

    /// <summary>Drops entries past their time, at most once per cache time, so keys no longer used do not stay.</summary>
    private void SweepNowAndThen(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < _cacheTime.Ticks || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
        {
            return;
        }
        foreach (var (id, entry) in _entries)
        {
            if (entry.IsStale(now))
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry));
            }
        }
    }

    private sealed class Entry(DateTimeOffset expires)
    {
        private readonly TaskCompletionSource<KeyStanding> _standing = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<KeyStanding> Standing => _standing.Task;

        /// <summary>A read in flight is shared whatever its age; a finished one until it expires; a failed one never.</summary>
        public bool IsStale(DateTimeOffset now) => Standing.IsFaulted || (Standing.IsCompleted && now >= expires);

        public void Complete(KeyStanding standing) => _standing.TrySetResult(standing);

        public void Fail(Exception e) => _standing.TrySetException(e);
    }
}
