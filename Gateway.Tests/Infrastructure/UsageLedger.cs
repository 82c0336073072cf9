using System.Diagnostics;
using Npgsql;

namespace Gateway.Tests.Infrastructure;

/// <summary>What Postgres holds about one key: its audit rows (<c>request_log</c>) and what it was charged.</summary>
/// <param name="Rows">request_id → status, every row of the key.</param>
/// <param name="ChargedRequests">Requests settled into the key's rollups (<c>usage_minute.requests</c>).</param>
/// <param name="SpentUsd">The key's spend (<c>key_spend</c>): what its budget was charged.</param>
/// <param name="RowsCostUsd">The sum of <c>cost_usd</c> over the key's rows.</param>
public sealed record UsageLedger(IReadOnlyDictionary<string, int> Rows, long ChargedRequests, decimal SpentUsd, decimal RowsCostUsd)
{
    public int ServedRows => Rows.Values.Count(s => s == 200);

    public static async Task<UsageLedger> ReadAsync(NpgsqlDataSource database, string keyId)
    {
        var rows = new Dictionary<string, int>(StringComparer.Ordinal);
        decimal rowsCost = 0;
        await using (var command = database.CreateCommand("SELECT request_id, status, cost_usd FROM request_log WHERE key_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keyId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = reader.GetInt32(1);
                rowsCost += reader.GetDecimal(2);
            }
        }
        await using var charged = database.CreateCommand("""
            SELECT (SELECT coalesce(sum(requests), 0)::bigint FROM usage_minute WHERE key_id = $1),
                   (SELECT coalesce(sum(spent_usd), 0) FROM key_spend WHERE key_id = $1)
            """);
        charged.Parameters.Add(new NpgsqlParameter { Value = keyId });
        await using var totals = await charged.ExecuteReaderAsync();
        await totals.ReadAsync();
        return new UsageLedger(rows, totals.GetInt64(0), totals.GetDecimal(1), rowsCost);
    }

    /// <summary>
    /// Reads the ledger until it stops moving (unchanged for <paramref name="quiet"/>, or equal to what
    /// <paramref name="complete"/> expects), within <paramref name="timeout"/>: the fronts' audit and
    /// settlement buffers and their retries drain in the background.
    /// </summary>
    public static async Task<UsageLedger> SettledAsync(NpgsqlDataSource database, string keyId, Func<UsageLedger, bool> complete,
        TimeSpan timeout, TimeSpan? quiet = null)
    {
        var clock = Stopwatch.StartNew();
        var still = Stopwatch.StartNew();
        UsageLedger? last = null;
        while (true)
        {
            UsageLedger? now = null;
            try
            {
                now = await ReadAsync(database, keyId);
            }
            catch (NpgsqlException) when (clock.Elapsed < timeout)
            {
                // The database may still be coming back.
            }
            if (now is not null)
            {
                if (complete(now))
                {
                    return now;
                }
                if (last is null || now.Rows.Count != last.Rows.Count || now.ChargedRequests != last.ChargedRequests)
                {
                    still.Restart();
                }
                last = now;
                if (still.Elapsed >= (quiet ?? TimeSpan.FromSeconds(3)) || clock.Elapsed >= timeout)
                {
                    return now;
                }
            }
            await Task.Delay(200);
        }
    }
}
