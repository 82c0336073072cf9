using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Keys;

/// <summary>
/// The last numbered lease call of each front and the lease it got. A front whose call timed out (a loaded silo,
/// a grain activating) retries with the same number; answering that retry from here, instead of granting again,
/// keeps what the first call took from the buckets (and the leftovers it handed back) with the front. Before,
/// the front had to assume the worst and drop both: at a hot key one lost slice was up to half the bucket.
/// Per activation only: a retry that reaches a new activation is granted afresh (and hands nothing back).
/// </summary>
internal sealed class LeaseReplies
{
    /// <summary>A front retries within a few seconds; answers older than this are dropped when the map grows.</summary>
    private static readonly TimeSpan Kept = TimeSpan.FromSeconds(30);

    private const int PruneAbove = 16;

    private readonly Dictionary<string, (long Sequence, Lease Lease, DateTimeOffset At)> _last = new(StringComparer.Ordinal);

    public Lease? Find(LeaseRequest request) =>
        request.Sequence != 0 && _last.TryGetValue(request.FrontId, out var last) && last.Sequence == request.Sequence ? last.Lease : null;

    public void Remember(LeaseRequest request, Lease lease, DateTimeOffset now)
    {
        if (request.Sequence == 0)
        {
            return;
        }
        if (_last.Count >= PruneAbove)
        {
            // Fronts are few, but each restart brings a new id: forget the ones that stopped calling.
            foreach (var (front, last) in _last)
            {
                if (now - last.At > Kept)
                {
                    _last.Remove(front);
                }
            }
        }
        _last[request.FrontId] = (request.Sequence, lease, now);
    }
}
