using Microsoft.Extensions.Options;

namespace Gateway.Front.Identity;

/// <summary>
/// At most <see cref="IdentityOptions.MaxConcurrentProviderCalls"/> /auth requests talk to providers at once
/// on one front: anyone may call these endpoints, and none of them may turn the gateway into a way to flood
/// the company's identity provider.
/// </summary>
public sealed class ProviderCallGate(IOptions<IdentityOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentProviderCalls);

    /// <summary>A slot to dispose when done, or null when all are taken (never waits).</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
