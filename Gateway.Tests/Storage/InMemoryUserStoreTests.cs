using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

public sealed class InMemoryUserStoreTests : UserStoreContract
{
    private readonly InMemoryKeyStore _store = new();

    protected override IKeyStore Keys => _store;
    protected override IUserStore Users => _store;
}
