namespace Gateway.Grains.Storage;

/// <summary>
/// <see cref="ISpendStore"/> in process memory for a local run without Postgres: spend per key and
/// UTC day, idempotent by batch id like <see cref="PostgresSpendStore"/>, gone when the process exits.
/// </summary>
public sealed class InMemorySpendStore : ISpendStore
{
    // Postgres keeps spend as numeric(20,8); so does this store.
    private const int SpendScale = 8;

    private readonly Lock _lock = new();
    private readonly HashSet<Guid> _batches = [];
    private readonly Dictionary<string, Dictionary<DateOnly, decimal>> _spendByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BucketLevels> _buckets = new(StringComparer.Ordinal);

    public Task<KeySpendState> LoadAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var (day, monthStart, nextMonth) = SpendDays.Of(at);
        lock (_lock)
        {
            decimal today = 0, month = 0;
            foreach (var (spentDay, spent) in _spendByKey.GetValueOrDefault(keyId) ?? [])
            {
                if (spentDay >= monthStart && spentDay < nextMonth)
                {
                    month += spent;
                    today += spentDay == day ? spent : 0;
                }
            }
            return Task.FromResult(new KeySpendState(today, month, _buckets.GetValueOrDefault(keyId)));
        }
    }

    public Task<bool> ApplyAsync(string keyId, Guid batchId, decimal costUsd, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var day = SpendDays.Of(at).Day;
        lock (_lock)
        {
            if (!_batches.Add(batchId))
            {
                return Task.FromResult(false);
            }
            if (!_spendByKey.TryGetValue(keyId, out var days))
            {
                _spendByKey[keyId] = days = [];
            }
            days[day] = Math.Round(days.GetValueOrDefault(day) + costUsd, SpendScale, MidpointRounding.AwayFromZero);
            return Task.FromResult(true);
        }
    }

    public Task SaveBucketsAsync(string keyId, BucketLevels levels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(levels);
        lock (_lock)
        {
            _buckets[keyId] = levels;
        }
        return Task.CompletedTask;
    }
}
