using Npgsql;
using NpgsqlTypes;

namespace Gateway.Front.Settlement;

/// <summary>
/// Records a charge settlement refused for good in <c>settlement_rejects</c> (migration 0008), when the
/// front has Postgres; the log line and metric are written by the settler either way. Best effort: a
/// failure to record is logged, never retried, and never holds the queue.
/// </summary>
internal sealed class SettlementRejects(NpgsqlDataSource? dataSource, ILogger logger)
{
    public async Task RecordAsync(string keyId, string requestId, decimal costUsd, string reason)
    {
        if (dataSource is null)
        {
            return;
        }
        try
        {
            await using var command = dataSource.CreateCommand(
                "INSERT INTO settlement_rejects (key_id, request_id, cost_usd, reason) VALUES (@key_id, @request_id, @cost, @reason)");
            command.Parameters.Add(new NpgsqlParameter<string>("key_id", Clean(keyId)));
            command.Parameters.Add(new NpgsqlParameter<string>("request_id", Clean(requestId)));
            command.Parameters.Add(new NpgsqlParameter<decimal>("cost", Math.Round(costUsd, 8)) { NpgsqlDbType = NpgsqlDbType.Numeric });
            command.Parameters.Add(new NpgsqlParameter<string>("reason", Clean(reason)));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await command.ExecuteNonQueryAsync(timeout.Token);
        }
        catch (Exception e)
        {
            SettlementLog.RejectNotRecorded(logger, keyId, requestId, e.Message);
        }
    }

    private static string Clean(string value) => Gateway.Grains.Text.BoundedText.Clean(value, 300)!;
}
