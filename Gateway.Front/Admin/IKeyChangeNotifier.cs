namespace Gateway.Front.Admin;

/// <summary>Tells the cluster's caches that a key changed, so the change takes effect at once.</summary>
public interface IKeyChangeNotifier
{
    /// <param name="keyId">The key whose limits, tags or state changed.</param>
    /// <param name="secretHash">The hash the cluster may have cached the key under (the old one after a rotation).</param>
    Task KeyChangedAsync(string keyId, string secretHash, CancellationToken cancellationToken);
}
