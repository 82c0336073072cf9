using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

public sealed class InMemorySpendStoreTests : SpendStoreContract
{
    protected override ISpendStore Store { get; } = new InMemorySpendStore();
}
