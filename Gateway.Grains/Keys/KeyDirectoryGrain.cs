using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Keys;

/// <summary>
/// Hash → key, cached in the grain so the store is asked about once per secret hash and
/// <see cref="KeyDirectoryOptions.RecheckInterval"/>: a revocation or rotation whose notice was lost
/// still takes effect within that interval. Unknown hashes are cached too (briefly), so a flood of
/// made-up keys cannot turn into a flood of database queries, and their activation goes after
/// <see cref="KeyDirectoryOptions.UnknownKeyTime"/> instead of holding memory for the age limit.
/// </summary>
[CollectionAgeLimit(Minutes = 30)]
public sealed class KeyDirectoryGrain(IKeyStore keys, IOptions<KeyDirectoryOptions> options, TimeProvider time,
    ILogger<KeyDirectoryGrain> logger) : Grain, IKeyDirectoryGrain
{
    private readonly KeyDirectoryOptions _options = options.Value;
    private KeyDescriptor? _key;
    private DateTimeOffset _loadedAt;
    private bool _loaded;
    private IGrainTimer? _expiry;

    public async Task<KeyDescriptor?> ResolveAsync()
    {
        var now = time.GetUtcNow();
        if (!_loaded || now - _loadedAt >= (_key is null ? _options.UnknownKeyTime : _options.RecheckInterval))
        {
            try
            {
                _key = await keys.FindByHashAsync(this.GetPrimaryKeyString());
            }
            catch (Exception e) when (_loaded && _key is not null)
            {
                // The store is the truth but is not answering: the last copy serves until the next try
                // (a store outage must not become an outage of every key); the admin API cannot change
                // keys meanwhile either.
                KeyDirectoryLog.RecheckFailed(logger, _key.KeyId, e);
                return _key;
            }
            _loadedAt = now;
            _loaded = true;
            if (_key is null)
            {
                ExpireWhileUnknown();
            }
        }
        return _key;
    }

    public Task InvalidateAsync()
    {
        _loaded = false;
        _key = null;
        return Task.CompletedTask;
    }

    /// <summary>An unknown hash's activation goes once its answer is stale, unless a key turned up meanwhile.</summary>
    private void ExpireWhileUnknown()
    {
        _expiry ??= this.RegisterGrainTimer(_ =>
        {
            _expiry?.Dispose();
            _expiry = null;
            if (_key is null)
            {
                this.DeactivateOnIdle();
            }
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(_options.UnknownKeyTime, Timeout.InfiniteTimeSpan));
    }
}
