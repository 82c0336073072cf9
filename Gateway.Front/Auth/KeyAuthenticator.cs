using System.Collections.Concurrent;
using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>
/// Resolves a client's secret to its key through the key-directory grain, caching each answer for
/// <see cref="AuthOptions.CacheTime"/> (≤ 1 s) so a revoked key stops working cluster-wide within it.
/// Only the SHA-256 hash leaves this method; the secret is never stored or logged.
/// </summary>
public sealed class KeyAuthenticator(IGrainFactory grains, IOptions<AuthOptions> options, IOptions<AdmissionOptions> calls, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly TimeSpan _cacheTime = options.Value.CacheTime;

    public async ValueTask<KeyDescriptor?> AuthenticateAsync(string secret)
    {
        var hash = KeySecrets.Hash(secret);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && now - cached.At < _cacheTime)
        {
            return await cached.Key;
        }
        // One lookup per hash at a time; concurrent requests share it.
        var lookup = ResolveAsync(hash);
        _cache[hash] = new CachedKey(lookup, now);
        try
        {
            return await lookup;
        }
        catch
        {
            _cache.TryRemove(hash, out _);
            throw;
        }
    }

    // A silo holding the directory entry may have died: a retry re-activates it elsewhere.
    private Task<KeyDescriptor?> ResolveAsync(string hash) =>
        BoundedGrainCall.RunAsync(() => grains.GetGrain<IKeyDirectoryGrain>(hash).ResolveAsync(), calls.Value);

    /// <summary>Drops entries past their time, so a scan of random keys cannot grow the cache without bound.</summary>
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
    }

    private sealed record CachedKey(Task<KeyDescriptor?> Key, DateTimeOffset At);
}
