namespace Gateway.FakeUpstream;

/// <summary>Cache part of a reply's usage; creation is split by TTL like the real <c>usage.cache_creation</c>.</summary>
internal readonly record struct CacheUsage(int Creation5m, int Creation1h, int Read)
{
    public int Creation => Creation5m + Creation1h;
}
