using System.Collections.Concurrent;

namespace Gateway.FakeUpstream;

/// <summary>Every Message Batch the fake holds, by id; each belongs to the upstream key that created it.</summary>
public sealed class FakeBatchStore
{
    private readonly ConcurrentDictionary<string, FakeBatch> _byId = new(StringComparer.Ordinal);

    /// <summary>All batches ever created (deleted ones included), for tests.</summary>
    public IReadOnlyCollection<FakeBatch> All => _byId.Values.ToArray();

    internal void Add(FakeBatch batch) => _byId[batch.Id] = batch;

    /// <summary>The batch if it exists, is not deleted and belongs to <paramref name="owner"/>; else null (a 404).</summary>
    internal FakeBatch? Find(string id, string owner) =>
        _byId.TryGetValue(id, out var batch) && !batch.Deleted && batch.Owner == owner ? batch : null;

    /// <summary><paramref name="owner"/>'s batches, newest first.</summary>
    internal List<FakeBatch> List(string owner) =>
        _byId.Values.Where(b => b.Owner == owner && !b.Deleted)
            .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id, StringComparer.Ordinal).ToList();
}
