namespace Gateway.Grains.Abstractions;

/// <summary>
/// Resolves a secret's SHA-256 hash (hex) to its key, so Postgres is asked once per hash and not
/// per request. Keyed by the hash; never sees the secret.
/// </summary>
public interface IKeyDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The key, or null when no key has this hash.</summary>
    Task<KeyDescriptor?> ResolveAsync();

    /// <summary>Forget the cached answer (after rotation or revocation).</summary>
    Task InvalidateAsync();
}
