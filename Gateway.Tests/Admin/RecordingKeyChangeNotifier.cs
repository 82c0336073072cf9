using System.Collections.Concurrent;
using Gateway.Front.Admin;

namespace Gateway.Tests.Admin;

/// <summary>
/// Stands in for <see cref="GrainKeyChangeNotifier"/> while the grains are being written: records
/// what the admin API told the cluster, or fails like an unreachable cluster.
/// </summary>
internal sealed class RecordingKeyChangeNotifier : IKeyChangeNotifier
{
    private readonly ConcurrentQueue<(string KeyId, string SecretHash)> _changes = new();

    public bool Fail { get; init; }

    public IReadOnlyList<(string KeyId, string SecretHash)> Changes => [.. _changes];

    public IReadOnlyList<string> HashesFor(string keyId) => [.. _changes.Where(c => c.KeyId == keyId).Select(c => c.SecretHash)];

    public Task KeyChangedAsync(string keyId, string secretHash, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new TimeoutException("cluster unreachable (test)");
        }
        _changes.Enqueue((keyId, secretHash));
        return Task.CompletedTask;
    }
}
