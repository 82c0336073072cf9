using System.Collections.Concurrent;
using System.Net;
using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>
/// Resolves a client's secret to its key through the key-directory grain, caching each answer for
/// <see cref="AuthOptions.CacheTime"/> (≤ 1 s) so a revoked key stops working cluster-wide within it.
/// Unknown hashes are remembered longer (<see cref="UnknownKeyOptions.CacheTime"/>), and an address past
/// its failed authentications gets no grain call for a key this front has not seen work: unknown keys
/// cost neither a grain activation nor a store query per try.
/// Only the SHA-256 hash leaves this method; the secret is never stored or logged.
/// </summary>
public sealed class KeyAuthenticator(IGrainFactory grains, IOptions<AuthOptions> options, IOptions<AdmissionOptions> calls,
    IOptions<UnknownKeyOptions> unknownKeys, FailedAuthLimiter failures, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _cacheTime = options.Value.CacheTime;
    private readonly ExpiringHashSet _unknown = new(unknownKeys.Value.CacheSize, unknownKeys.Value.CacheTime, time);
    private readonly ExpiringHashSet _known = new(unknownKeys.Value.CacheSize, unknownKeys.Value.KnownKeyTime, time);
    private long _directoryCalls;

    /// <summary>Grain calls made to resolve keys (each may activate a directory grain and query the store).</summary>
    public long DirectoryCalls => Interlocked.Read(ref _directoryCalls);

    /// <summary>
    /// The key for <paramref name="secret"/> (null when unknown), or a refusal with the time to wait when
    /// <paramref name="client"/> has used up its failed authentications and the key is not one known here.
    /// </summary>
    public KeyLookup Lookup(string secret, IPAddress? client) => LookupHash(KeySecrets.Hash(secret), client);

    /// <summary>
    /// As <see cref="Lookup"/>, for a caller that already holds the lookup hash (a validated sign-in token
    /// names its user key's hash): same caches, same invalidation on a key change.
    /// </summary>
    public KeyLookup LookupHash(string hash, IPAddress? client)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && now - cached.At < _cacheTime)
        {
            return new KeyLookup(new ValueTask<KeyDescriptor?>(cached.Key), null);
        }
        if (_unknown.Contains(hash))
        {
            return new KeyLookup(new ValueTask<KeyDescriptor?>((KeyDescriptor?)null), null);
        }
        if (failures.IsLimited(client, out var retryAfter) && !_known.Contains(hash))
        {
            return new KeyLookup(default, retryAfter);
        }
        // One lookup per hash at a time; concurrent requests share it.
        var lookup = ResolveAsync(hash);
        _cache[hash] = new CachedKey(lookup, now);
        return new KeyLookup(AwaitAsync(hash, lookup, client), null);
    }

    private async ValueTask<KeyDescriptor?> AwaitAsync(string hash, Task<KeyDescriptor?> lookup, IPAddress? client)
    {
        try
        {
            var key = await lookup;
            if (key is null)
            {
                // Kept apart from the positive cache, for longer, and bounded: a scan cannot grow it without limit.
                _cache.TryRemove(hash, out _);
                _unknown.Add(hash);
                // Only a lookup counts against the address: a client retrying one wrong or stale key costs
                // nothing while its hash is remembered, and must not lock out the neighbours behind its address.
                failures.RecordFailure(client);
            }
            else if (!key.Revoked)
            {
                _known.Add(hash);
            }
            return key;
        }
        catch
        {
            _cache.TryRemove(hash, out _);
            throw;
        }
    }

    // A silo holding the directory entry may have died: a retry re-activates it elsewhere.
    private Task<KeyDescriptor?> ResolveAsync(string hash)
    {
        Interlocked.Increment(ref _directoryCalls);
        return BoundedGrainCall.RunAsync(() => grains.GetGrain<IKeyDirectoryGrain>(hash).ResolveAsync(), calls.Value);
    }

    /// <summary>Drops entries past their time, so a scan of random keys cannot grow the caches without bound.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (hash, entry) in _cache)
        {
            if (now - entry.At > _cacheTime)
            {
                _cache.TryRemove(hash, out _);
            }
        }
        _unknown.Sweep();
        _known.Sweep();
        failures.Sweep();
    }

    private sealed record CachedKey(Task<KeyDescriptor?> Key, DateTimeOffset At);
}

/// <summary>A key lookup: <see cref="Key"/> to await, unless <see cref="RetryAfter"/> says the client is refused first.</summary>
public readonly record struct KeyLookup(ValueTask<KeyDescriptor?> Key, TimeSpan? RetryAfter);
