namespace Gateway.FakeUpstream;

/// <summary>
/// Aborts a connection on purpose (a reset fault) and remembers that it was the fake's doing, so
/// <see cref="FakeUpstreamState.AbortedRequests"/> counts only clients that went away by themselves.
/// </summary>
internal static class SelfAbort
{
    private static readonly object Key = new();

    public static void Abort(HttpContext ctx)
    {
        // A client that already left is not turned into a self-abort by the cleanup abort after it.
        if (!ctx.RequestAborted.IsCancellationRequested)
        {
            ctx.Items[Key] = Key;
        }
        ctx.Abort();
    }

    public static bool WasSelfAborted(HttpContext ctx) => ctx.Items.ContainsKey(Key);
}
