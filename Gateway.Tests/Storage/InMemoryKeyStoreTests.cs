using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

public sealed class InMemoryKeyStoreTests : KeyStoreContract
{
    protected override IKeyStore Store { get; } = new InMemoryKeyStore();
}
