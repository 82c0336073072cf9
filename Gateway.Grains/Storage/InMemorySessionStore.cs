namespace Gateway.Grains.Storage;

/// <summary><see cref="ISessionStore"/> in process memory for a local run without Postgres; gone when the process exits.</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private const int MoneyScale = 8;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, SessionUsageRecord> _sessions = new(StringComparer.Ordinal);

    public Task<SessionUsageRecord?> LoadAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_sessions.GetValueOrDefault(sessionId));
        }
    }

    public Task SaveAsync(SessionUsageRecord usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        lock (_lock)
        {
            if (!_sessions.TryGetValue(usage.SessionId, out var saved) || saved.Requests <= usage.Requests)
            {
                // As numeric(20,8) keeps them in Postgres.
                _sessions[usage.SessionId] = usage with
                {
                    CostUsd = Math.Round(usage.CostUsd, MoneyScale, MidpointRounding.AwayFromZero),
                    CacheSavingsUsd = Math.Round(usage.CacheSavingsUsd, MoneyScale, MidpointRounding.AwayFromZero),
                };
            }
        }
        return Task.CompletedTask;
    }
}
