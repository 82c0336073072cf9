using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Simulates Anthropic prompt caching closely enough for a gateway's accounting and cache-injection
/// tests. A prefix is identified by a hash of the model and the blocks up to a block boundary, in
/// tools → system → messages order, ignoring the <c>cache_control</c> markers themselves (moving a
/// breakpoint forward, as Claude Code does each turn, still hits the previous turn's entry).
/// Like the real cache, each breakpoint looks for a hit at the block boundaries up to
/// <see cref="LookbackBlocks"/> blocks before it; the longest live hit is a cache read, the part
/// between it and the last breakpoint is a cache write, and every breakpoint is then stored (or
/// refreshed) with its TTL: 5 minutes, or 1 hour for <c>"ttl":"1h"</c>.
/// </summary>
internal sealed class PromptCacheSimulator
{
    public const int MaxBreakpoints = 4;
    public const int LookbackBlocks = 20;

    private static readonly TimeSpan ShortTtl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LongTtl = TimeSpan.FromHours(1);

    // Prefix hash → expiry (UTC ticks). Pruned about once a minute so a long benchmark cannot grow it forever.
    private readonly ConcurrentDictionary<UInt128, long> _entries = new();
    private long _nextPruneTicks;

    /// <summary>Number of cache_control markers, as Anthropic counts them for its limit of 4.</summary>
    public static int CountMarkers(JsonElement root)
    {
        var counter = new MarkerCounter();
        PromptSegments.Walk(root, ref counter);
        return counter.Count;
    }

    public CacheUsage Apply(JsonElement root, string model, int minPrefixTokens, DateTimeOffset now)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var collector = new BoundaryCollector(hash, []);
        collector.Start(model);
        PromptSegments.Walk(root, ref collector);
        var boundaries = collector.Boundaries;

        // Breakpoints below the minimum cacheable length are silently useless, as on the real API.
        bool IsBreakpoint(int i) => boundaries[i].Breakpoint && boundaries[i].Tokens >= Math.Max(1, minPrefixTokens);
        var last = boundaries.Count - 1;
        while (last >= 0 && !IsBreakpoint(last))
        {
            last--;
        }
        if (last < 0)
        {
            return default;
        }

        var nowTicks = now.UtcTicks;
        var hit = -1;
        for (var i = last; i >= 0 && hit < 0; i--)
        {
            if (WithinLookback(i) && _entries.TryGetValue(boundaries[i].Hash, out var expiry) && expiry > nowTicks)
            {
                hit = i;
            }
        }

        var read = hit >= 0 ? boundaries[hit].Tokens : 0;
        int write5m = 0, write1h = 0, covered = read;
        for (var i = hit + 1; i <= last; i++)
        {
            if (!IsBreakpoint(i))
            {
                continue;
            }
            var portion = boundaries[i].Tokens - covered;
            if (boundaries[i].Ttl1h)
            {
                write1h += portion;
            }
            else
            {
                write5m += portion;
            }

            covered = boundaries[i].Tokens;
        }

        for (var i = 0; i <= last; i++)
        {
            if (IsBreakpoint(i))
            {
                Store(boundaries[i].Hash, nowTicks + (boundaries[i].Ttl1h ? LongTtl : ShortTtl).Ticks);
            }
        }
        if (hit >= 0)
        {
            Store(boundaries[hit].Hash, nowTicks + ShortTtl.Ticks); // a hit refreshes the entry
        }
        PruneOccasionally(nowTicks);
        return new CacheUsage(write5m, write1h, read);

        bool WithinLookback(int i)
        {
            for (var b = i; b <= last && b < i + LookbackBlocks; b++)
            {
                if (IsBreakpoint(b))
                {
                    return true;
                }
            }
            return false;
        }
    }

    public void Clear() => _entries.Clear();

    private void Store(UInt128 key, long expiry) =>
        _entries.AddOrUpdate(key, expiry, (_, old) => Math.Max(old, expiry));

    private void PruneOccasionally(long nowTicks)
    {
        var next = Interlocked.Read(ref _nextPruneTicks);
        if (nowTicks < next || Interlocked.CompareExchange(ref _nextPruneTicks, nowTicks + TimeSpan.TicksPerMinute, next) != next)
        {
            return;
        }
        foreach (var (key, expiry) in _entries)
        {
            if (expiry <= nowTicks)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    /// <summary>The prefix ending after one block: its hash, its size in tokens, and whether a breakpoint sits there.</summary>
    private readonly record struct Boundary(UInt128 Hash, int Tokens, bool Breakpoint, bool Ttl1h);

    private struct MarkerCounter : IPromptSegmentVisitor
    {
        public int Count;
        public readonly void Boundary(byte tag) { }
        public void Segment(JsonElement element, int markers, bool ttl1h) => Count += markers;
        public void TopLevel(bool ttl1h) => Count++;
    }

    private struct BoundaryCollector(IncrementalHash hash, List<Boundary> boundaries) : IPromptSegmentVisitor
    {
        private long _bytes;

        public readonly List<Boundary> Boundaries => boundaries;

        public readonly void Start(string model) => hash.AppendData(Encoding.UTF8.GetBytes(model));

        public readonly void Boundary(byte tag) => hash.AppendData([0, tag]);

        public void Segment(JsonElement element, int markers, bool ttl1h)
        {
            HashWithoutMarkers(element, nestedContent: true);
            _bytes += JsonMarshal.GetRawUtf8Value(element).Length;
            Span<byte> digest = stackalloc byte[32];
            hash.GetCurrentHash(digest);
            boundaries.Add(new Boundary(MemoryMarshal.Read<UInt128>(digest), TokenEstimate.FromBytes(_bytes), markers > 0, ttl1h));
        }

        /// <summary>Automatic caching puts its breakpoint on the last block.</summary>
        public readonly void TopLevel(bool ttl1h)
        {
            if (boundaries.Count > 0)
            {
                var lastBlock = boundaries[^1];
                boundaries[^1] = lastBlock with { Breakpoint = true, Ttl1h = lastBlock.Ttl1h || ttl1h };
            }
        }

        /// <summary>
        /// Hashes a block without its cache_control (and without those of blocks nested in its
        /// <c>content</c>, as in tool_result), so where a breakpoint sits does not change the prefix.
        /// </summary>
        private readonly void HashWithoutMarkers(JsonElement element, bool nestedContent)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                hash.AppendData(JsonMarshal.GetRawUtf8Value(element));
                return;
            }

            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("cache_control"u8))
                {
                    continue;
                }
                hash.AppendData(JsonMarshal.GetRawUtf8PropertyName(property));
                if (nestedContent && property.NameEquals("content"u8) && property.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var inner in property.Value.EnumerateArray())
                    {
                        HashWithoutMarkers(inner, nestedContent: false);
                    }
                }
                else
                {
                    hash.AppendData(JsonMarshal.GetRawUtf8Value(property.Value));
                }
            }
        }
    }
}
