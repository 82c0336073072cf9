using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary><see cref="IBillingReports"/> on the <c>billing_export_month</c> view (the same query as the psql recipe in docs/usage-database.md).</summary>
public sealed class PostgresBillingReports(NpgsqlDataSource dataSource) : IBillingReports
{
    /// <summary>The export's query; <c>@month</c> is the month's first day, <c>@billing_tag</c> null for every tag.</summary>
    public const string MonthSql = """
        SELECT month, billing_tag, team_id, team_name, model, requests, input_tokens, output_tokens,
               cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd
        FROM billing_export_month
        WHERE month = @month AND (@billing_tag::text IS NULL OR billing_tag = @billing_tag::text)
        ORDER BY billing_tag COLLATE "C" NULLS LAST, team_name COLLATE "C", team_id COLLATE "C", model COLLATE "C"
        """;

    public async Task<IReadOnlyList<BillingLine>> MonthAsync(DateOnly month, string? billingTag, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(MonthSql);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("month", new DateOnly(month.Year, month.Month, 1)));
        command.Parameters.Add(new NpgsqlParameter("billing_tag", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)billingTag ?? DBNull.Value });
        var lines = new List<BillingLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(new BillingLine(
                reader.GetFieldValue<DateOnly>(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9),
                reader.GetDecimal(10), reader.GetDecimal(11)));
        }
        return lines;
    }
}
