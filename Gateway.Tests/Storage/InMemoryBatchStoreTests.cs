using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

public sealed class InMemoryBatchStoreTests : BatchStoreContract
{
    protected override IBatchStore Store { get; } = new InMemoryBatchStore();
}
