namespace Gateway.FakeUpstream;

/// <summary>
/// Faults waiting to hit the next API requests (paths under <c>/v1/</c>), for callers that cannot set
/// the <c>x-fake-fault</c> header (e.g. a gateway's own retries). Entries are used in order; an
/// entry enqueued with count N hits N consecutive requests.
/// </summary>
public sealed class FaultQueue
{
    private readonly LinkedList<Entry> _entries = new();
    private readonly Lock _gate = new();

    // Lets the hot path skip the lock when nothing is queued (the usual case in benchmarks).
    private int _count;

    /// <exception cref="ArgumentException">The fault name is unknown.</exception>
    public void Enqueue(string fault, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (!FaultPlan.TryParse(fault, out var plan, out var error))
        {
            throw new ArgumentException(error, nameof(fault));
        }

        lock (_gate)
        {
            _entries.AddLast(new Entry(fault, plan, count));
            Volatile.Write(ref _count, _entries.Count);
        }
    }

    public bool TryDequeue(out FaultPlan plan)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            plan = default;
            return false;
        }

        lock (_gate)
        {
            var first = _entries.First;
            if (first is null)
            {
                plan = default;
                return false;
            }

            plan = first.Value.Plan;
            first.Value.Remaining--;
            if (first.Value.Remaining == 0)
            {
                _entries.RemoveFirst();
                Volatile.Write(ref _count, _entries.Count);
            }
            return true;
        }
    }

    /// <summary>Pending faults and how many requests each will still hit.</summary>
    public IReadOnlyList<(string Fault, int Remaining)> Pending
    {
        get
        {
            lock (_gate)
            {
                return _entries.Select(e => (e.Name, e.Remaining)).ToArray();
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            Volatile.Write(ref _count, 0);
        }
    }

    private sealed class Entry(string name, FaultPlan plan, int remaining)
    {
        public string Name { get; } = name;
        public FaultPlan Plan { get; } = plan;
        public int Remaining { get; set; } = remaining;
    }
}
