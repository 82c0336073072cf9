namespace Gateway.Grains.Storage;

/// <summary><see cref="IBatchStore"/> in process memory for a local run without Postgres (gone on exit).</summary>
public sealed class InMemoryBatchStore : IBatchStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (BatchRecord Batch, DateTimeOffset NextCheck)> _rows = new(StringComparer.Ordinal);

    public Task InsertAsync(BatchRecord batch, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _rows.TryAdd(batch.BatchId, (batch, batch.CreatedAt));
        }
        return Task.CompletedTask;
    }

    public Task<BatchRecord?> FindAsync(string batchId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_rows.TryGetValue(batchId, out var row) ? row.Batch : null);
        }
    }

    public Task<IReadOnlyList<BatchRecord>> ListByTeamAsync(string teamId, int limit, string? beforeId, string? afterId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var newestFirst = _rows.Values.Select(r => r.Batch)
                .Where(b => b.TeamId == teamId && b.DeletedAt is null)
                .OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.BatchId, StringComparer.Ordinal)
                .ToList();
            var cursor = beforeId ?? afterId;
            var at = cursor is null ? -1 : newestFirst.FindIndex(b => b.BatchId == cursor);
            IReadOnlyList<BatchRecord> page = cursor is null ? newestFirst.Take(limit + 1).ToList()
                : at < 0 ? []
                : afterId is not null ? newestFirst.Skip(at + 1).Take(limit + 1).ToList()
                : newestFirst.Take(at).TakeLast(limit + 1).ToList();
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<OpenHold>> OpenHoldsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<OpenHold> holds = _rows.Values.Select(r => r.Batch)
                .Where(b => b.KeyId == keyId && b.SettledAt is null)
                .Select(b => new OpenHold(b.BatchId, b.ReservedUsd)).ToList();
            return Task.FromResult(holds);
        }
    }

    public Task<IReadOnlyList<BatchRecord>> ClaimDueAsync(int limit, TimeSpan recheckAfter, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var due = _rows.Values.Where(r => r.Batch.SettledAt is null && r.NextCheck <= now)
                .OrderBy(r => r.NextCheck).Take(limit).Select(r => r.Batch).ToList();
            foreach (var batch in due)
            {
                _rows[batch.BatchId] = (batch, now + recheckAfter);
            }
            return Task.FromResult<IReadOnlyList<BatchRecord>>(due);
        }
    }

    public Task UpdateStatusAsync(string batchId, string status, DateTimeOffset? endedAt, CancellationToken cancellationToken = default)
    {
        Update(batchId, b => b.SettledAt is null ? b with { Status = status, EndedAt = b.EndedAt ?? endedAt } : b);
        return Task.CompletedTask;
    }

    public Task<bool> MarkSettledAsync(string batchId, decimal chargedUsd, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var settled = false;
        Update(batchId, b =>
        {
            if (b.SettledAt is not null)
            {
                return b;
            }
            settled = true;
            return b with { SettledAt = at, ChargedUsd = chargedUsd, Status = "ended" };
        });
        return Task.FromResult(settled);
    }

    public Task MarkDeletedAsync(string batchId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        Update(batchId, b => b with { DeletedAt = b.DeletedAt ?? at });
        return Task.CompletedTask;
    }

    private void Update(string batchId, Func<BatchRecord, BatchRecord> change)
    {
        lock (_lock)
        {
            if (_rows.TryGetValue(batchId, out var row))
            {
                _rows[batchId] = (change(row.Batch), row.NextCheck);
            }
        }
    }
}
