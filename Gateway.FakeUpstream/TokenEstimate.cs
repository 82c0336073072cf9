namespace Gateway.FakeUpstream;

/// <summary>The fake's tokenizer: one token per 4 UTF-8 bytes, rounded up. Crude, but deterministic
/// and proportional to body size, which is all a gateway's accounting tests need.</summary>
internal static class TokenEstimate
{
    public static int FromBytes(long bytes) => (int)Math.Min(int.MaxValue, (bytes + 3) / 4);
}
