namespace Gateway.Grains.Storage;

/// <summary>
/// <see cref="ISpendStore"/> in process memory for a local run without Postgres: spend per key and
/// UTC day and the per-minute usage rollups, idempotent by batch id like <see cref="PostgresSpendStore"/>,
/// gone when the process exits.
/// </summary>
public sealed class InMemorySpendStore : ISpendStore
{
    // Postgres keeps spend as numeric(20,8); so does this store.
    private const int SpendScale = 8;

    private readonly Lock _lock = new();
    private readonly HashSet<Guid> _batches = [];
    private readonly Dictionary<string, Dictionary<DateOnly, decimal>> _spendByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BucketLevels> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<(string KeyId, string Model, DateTimeOffset Minute), UsageMinute> _rollups = [];

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

    public Task<bool> ApplyAsync(string keyId, Guid batchId, IReadOnlyList<PricedCharge> charges, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var day = SpendDays.Of(at).Day;
        var rows = UsageRollups.Group(charges);
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
            days[day] = Round(days.GetValueOrDefault(day) + charges.Sum(c => c.CostUsd));
            foreach (var row in rows)
            {
                var id = (keyId, row.Model, row.Minute);
                var sum = _rollups.GetValueOrDefault(id) ?? new UsageMinute(keyId, row.Model, row.Minute, 0, 0, 0, 0, 0, 0, 0, 0);
                _rollups[id] = sum with
                {
                    Requests = sum.Requests + row.Requests,
                    InputTokens = sum.InputTokens + row.Tokens.Input,
                    OutputTokens = sum.OutputTokens + row.Tokens.Output,
                    CacheCreationTokens = sum.CacheCreationTokens + row.Tokens.CacheCreation,
                    CacheReadTokens = sum.CacheReadTokens + row.Tokens.CacheRead,
                    CostUsd = Round(sum.CostUsd + row.CostUsd),
                    CacheSavingsUsd = Round(sum.CacheSavingsUsd + row.CacheSavingsUsd),
                    ToolCalls = sum.ToolCalls + row.ToolCalls,
                };
            }
            return Task.FromResult(true);
        }
    }

    public Task<IReadOnlyList<UsageMinute>> ReadRollupsAsync(string keyId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<UsageMinute> rows = _rollups.Values
                .Where(r => r.KeyId == keyId && r.Minute >= from && r.Minute < to)
                .OrderBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Minute)
                .ToList();
            return Task.FromResult(rows);
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

    private static decimal Round(decimal value) => Math.Round(value, SpendScale, MidpointRounding.AwayFromZero);
}
