using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Grains.Keys;

/// <summary>
/// Hash → key, cached in the grain so the store is asked once per secret hash. Unknown hashes are
/// cached too (briefly), so a flood of made-up keys cannot turn into a flood of database queries.
/// </summary>
[CollectionAgeLimit(Minutes = 30)]
public sealed class KeyDirectoryGrain(IKeyStore keys, TimeProvider time) : Grain, IKeyDirectoryGrain
{
    private static readonly TimeSpan UnknownKeyCacheTime = TimeSpan.FromSeconds(5);
    private KeyDescriptor? _key;
    private DateTimeOffset _loadedAt;
    private bool _loaded;

    public async Task<KeyDescriptor?> ResolveAsync()
    {
        var now = time.GetUtcNow();
        if (!_loaded || (_key is null && now - _loadedAt > UnknownKeyCacheTime))
        {
            _key = await keys.FindByHashAsync(this.GetPrimaryKeyString());
            _loadedAt = now;
            _loaded = true;
        }
        return _key;
    }

    public Task InvalidateAsync()
    {
        _loaded = false;
        _key = null;
        return Task.CompletedTask;
    }
}
