using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Grains.Storage;

/// <summary>
/// Alert rules and crossings in Postgres (<c>Migrations/0011_budget_alerts.sql</c>). Spend is read from
/// <c>key_spend</c>, the table the key grains write their budgets' spend to in the same transaction as each
/// settlement, so an alert sees exactly the spend a budget is enforced against.
/// </summary>
public sealed class PostgresAlertStore(NpgsqlDataSource dataSource) : IAlertStore
{
    public const string RuleIdPrefix = "alr_";

    private const string RuleColumns =
        "rule_id, name, scope, target_id, period, thresholds, budget_usd, webhook_url, enabled, created_at, updated_at";

    public async Task<AlertRule> CreateRuleAsync(AlertRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO alert_rules (rule_id, name, scope, target_id, period, thresholds, budget_usd, webhook_url, enabled)
            VALUES (@rule_id, @name, @scope, @target_id, @period, @thresholds, @budget_usd, @webhook_url, @enabled)
            RETURNING {RuleColumns}
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("rule_id", NewRuleId()));
        p.Add(new NpgsqlParameter<string>("name", rule.Name));
        p.Add(new NpgsqlParameter<string>("scope", rule.Scope));
        p.Add(new NpgsqlParameter<string>("target_id", rule.TargetId));
        p.Add(new NpgsqlParameter<string>("period", rule.Period));
        p.Add(new NpgsqlParameter<int[]>("thresholds", [.. rule.Thresholds]));
        p.Add(Budget(rule.BudgetUsd));
        p.Add(new NpgsqlParameter<string>("webhook_url", rule.WebhookUrl));
        p.Add(new NpgsqlParameter<bool>("enabled", rule.Enabled));
        return (await ReadRulesAsync(command, cancellationToken))[0];
    }

    public async Task<IReadOnlyList<AlertRule>> ListRulesAsync(string? scope, string? targetId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {RuleColumns} FROM alert_rules
            WHERE (@scope::text IS NULL OR scope = @scope) AND (@target_id::text IS NULL OR target_id = @target_id)
            ORDER BY created_at, rule_id
            """);
        command.Parameters.Add(NullableText("scope", scope));
        command.Parameters.Add(NullableText("target_id", targetId));
        return await ReadRulesAsync(command, cancellationToken);
    }

    public async Task<AlertRule?> GetRuleAsync(string ruleId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {RuleColumns} FROM alert_rules WHERE rule_id = @rule_id");
        command.Parameters.Add(new NpgsqlParameter<string>("rule_id", ruleId));
        return (await ReadRulesAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<AlertRule?> UpdateRuleAsync(string ruleId, AlertRuleUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        await using var command = dataSource.CreateCommand($"""
            UPDATE alert_rules SET
                name = coalesce(@name, name),
                period = coalesce(@period, period),
                thresholds = coalesce(@thresholds, thresholds),
                budget_usd = CASE WHEN @set_budget THEN @budget_usd ELSE budget_usd END,
                webhook_url = coalesce(@webhook_url, webhook_url),
                enabled = coalesce(@enabled, enabled),
                updated_at = now()
            WHERE rule_id = @rule_id
            RETURNING {RuleColumns}
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("rule_id", ruleId));
        p.Add(NullableText("name", update.Name));
        p.Add(NullableText("period", update.Period));
        p.Add(new NpgsqlParameter("thresholds", NpgsqlDbType.Array | NpgsqlDbType.Integer)
        {
            Value = update.Thresholds is { } thresholds ? thresholds.ToArray() : DBNull.Value,
        });
        p.Add(new NpgsqlParameter<bool>("set_budget", update.SetBudget));
        p.Add(Budget(update.BudgetUsd));
        p.Add(NullableText("webhook_url", update.WebhookUrl));
        p.Add(new NpgsqlParameter("enabled", NpgsqlDbType.Boolean) { Value = update.Enabled is { } enabled ? enabled : DBNull.Value });
        return (await ReadRulesAsync(command, cancellationToken)).FirstOrDefault();
    }

    public async Task<bool> DeleteRuleAsync(string ruleId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM alert_rules WHERE rule_id = @rule_id");
        command.Parameters.Add(new NpgsqlParameter<string>("rule_id", ruleId));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async Task<IReadOnlyList<RuleStanding>> ReadStandingsAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        // One query for every enabled rule. A team's spend is the sum of its keys' (revoked ones too: money
        // spent stays spent), read through key_spend's primary key (key_id, day) with = ANY.
        await using var command = dataSource.CreateCommand($"""
            SELECT r.rule_id, r.name, r.scope, r.target_id, r.period, r.thresholds, r.budget_usd, r.webhook_url,
                   r.enabled, r.created_at, r.updated_at,
                   b.start,
                   CASE WHEN r.scope = 'team' THEN t.name ELSE k.name END,
                   CASE WHEN r.scope = 'team' THEN t.team_id ELSE k.team_id END,
                   coalesce(t.name, kt.name),
                   coalesce(r.budget_usd, CASE r.period WHEN 'day' THEN k.daily_budget_usd ELSE k.monthly_budget_usd END),
                   (SELECT coalesce(sum(s.spent_usd), 0) FROM key_spend s
                    WHERE s.key_id = ANY (CASE WHEN r.scope = 'team'
                                               THEN ARRAY(SELECT a.key_id FROM api_keys a WHERE a.team_id = r.target_id)
                                               ELSE ARRAY[r.target_id] END)
                      AND s.day >= b.start AND s.day < b.stop),
                   ARRAY(SELECT d.threshold FROM alert_deliveries d WHERE d.rule_id = r.rule_id AND d.period_start = b.start)
            FROM alert_rules r
            CROSS JOIN LATERAL (
                SELECT CASE r.period WHEN 'day' THEN @day ELSE @month_start END AS start,
                       CASE r.period WHEN 'day' THEN @next_day ELSE @next_month END AS stop) b
            LEFT JOIN teams t ON r.scope = 'team' AND t.team_id = r.target_id
            LEFT JOIN api_keys k ON r.scope <> 'team' AND k.key_id = r.target_id
            LEFT JOIN teams kt ON kt.team_id = k.team_id
            WHERE r.enabled
            ORDER BY r.rule_id
            """);
        var monthStart = new DateOnly(day.Year, day.Month, 1);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("day", day));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("next_day", day.AddDays(1)));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("month_start", monthStart));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("next_month", monthStart.AddMonths(1)));
        var standings = new List<RuleStanding>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            standings.Add(new RuleStanding(
                ReadRule(reader),
                reader.GetFieldValue<DateOnly>(11),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13),
                reader.IsDBNull(14) ? null : reader.GetString(14),
                reader.GetDecimal(16),
                reader.IsDBNull(15) ? null : reader.GetDecimal(15),
                reader.GetFieldValue<int[]>(17)));
        }
        return standings;
    }

    public async Task<int> RecordCrossingsAsync(IReadOnlyList<AlertCrossing> crossings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crossings);
        if (crossings.Count == 0)
        {
            return 0;
        }
        // ON CONFLICT DO NOTHING on the (rule, period start, threshold) key: a crossing two silos saw at once
        // is one row. A rule deleted since it was read records nothing (and breaks no foreign key).
        await using var command = dataSource.CreateCommand("""
            INSERT INTO alert_deliveries (rule_id, period_start, threshold, spend_usd, budget_usd, crossed_at, payload, next_attempt_at)
            SELECT u.rule_id, u.period_start, u.threshold, u.spend_usd, u.budget_usd, u.crossed_at, u.payload, u.crossed_at
            FROM unnest(@rule_ids, @period_starts, @thresholds, @spends, @budgets, @crossed, @payloads)
                 AS u(rule_id, period_start, threshold, spend_usd, budget_usd, crossed_at, payload)
            WHERE EXISTS (SELECT 1 FROM alert_rules r WHERE r.rule_id = u.rule_id)
            ON CONFLICT (rule_id, period_start, threshold) DO NOTHING
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string[]>("rule_ids", [.. crossings.Select(c => c.RuleId)]));
        p.Add(new NpgsqlParameter<DateOnly[]>("period_starts", [.. crossings.Select(c => c.PeriodStart)]));
        p.Add(new NpgsqlParameter<int[]>("thresholds", [.. crossings.Select(c => c.Threshold)]));
        p.Add(new NpgsqlParameter<decimal[]>("spends", [.. crossings.Select(c => Math.Round(c.SpendUsd, 8))]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
        p.Add(new NpgsqlParameter<decimal[]>("budgets", [.. crossings.Select(c => Math.Round(c.BudgetUsd, 8))]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric });
        p.Add(new NpgsqlParameter<DateTimeOffset[]>("crossed", [.. crossings.Select(c => c.CrossedAt.ToUniversalTime())]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<string[]>("payloads", [.. crossings.Select(c => c.Payload)]));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IDeliveryClaim> ClaimDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(cancellationToken);
            // The row locks are the claim: held until the outcomes commit, released by a rollback (or by the
            // server when a dying silo's connection drops), so a crossing is never in two senders' hands.
            await using var command = new NpgsqlCommand("""
                SELECT d.delivery_id, d.rule_id, d.threshold, d.attempts, d.crossed_at, r.webhook_url, d.payload
                FROM alert_deliveries d
                JOIN alert_rules r ON r.rule_id = d.rule_id
                WHERE d.delivered_at IS NULL AND d.abandoned_at IS NULL AND d.next_attempt_at <= @now
                ORDER BY d.next_attempt_at, d.delivery_id
                LIMIT @limit
                FOR UPDATE OF d SKIP LOCKED
                """, connection, transaction);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now.ToUniversalTime()));
            command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
            var due = new List<PendingDelivery>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    due.Add(new PendingDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3),
                        reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6)));
                }
            }
            return new Claim(connection, transaction, due);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<IReadOnlyList<AlertDeliveryRecord>> ListDeliveriesAsync(string ruleId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT delivery_id, rule_id, period_start, threshold, spend_usd, budget_usd, crossed_at, attempts,
                   last_attempt_at, last_status, last_error, delivered_at, abandoned_at
            FROM alert_deliveries WHERE rule_id = @rule_id
            ORDER BY crossed_at DESC, delivery_id DESC
            LIMIT @limit
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("rule_id", ruleId));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        var rows = new List<AlertDeliveryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AlertDeliveryRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateOnly>(2), reader.GetInt32(3),
                reader.GetDecimal(4), reader.GetDecimal(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt32(7),
                NullableTime(reader, 8), reader.IsDBNull(9) ? null : reader.GetInt32(9), reader.IsDBNull(10) ? null : reader.GetString(10),
                NullableTime(reader, 11), NullableTime(reader, 12)));
        }
        return rows;
    }

    private sealed class Claim(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<PendingDelivery> deliveries)
        : IDeliveryClaim
    {
        private bool _done;

        public IReadOnlyList<PendingDelivery> Deliveries { get; } = deliveries;

        public async Task CompleteAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(outcomes);
            if (outcomes.Count > 0)
            {
                await using var batch = new NpgsqlBatch(connection, transaction);
                foreach (var outcome in outcomes)
                {
                    var command = new NpgsqlBatchCommand("""
                        UPDATE alert_deliveries SET
                            attempts = attempts + 1,
                            last_attempt_at = @at,
                            last_status = @status,
                            last_error = @error,
                            delivered_at = CASE WHEN @delivered THEN @at END,
                            abandoned_at = CASE WHEN @abandoned THEN @at END,
                            next_attempt_at = coalesce(@next, next_attempt_at)
                        WHERE delivery_id = @id AND delivered_at IS NULL
                        """);
                    command.Parameters.Add(new NpgsqlParameter<long>("id", outcome.DeliveryId));
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", outcome.At.ToUniversalTime()));
                    command.Parameters.Add(new NpgsqlParameter("status", NpgsqlDbType.Integer) { Value = outcome.Status is { } s ? s : DBNull.Value });
                    command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = outcome.Error is { } e ? e : DBNull.Value });
                    command.Parameters.Add(new NpgsqlParameter<bool>("delivered", outcome.Delivered));
                    command.Parameters.Add(new NpgsqlParameter<bool>("abandoned", outcome.Abandoned));
                    command.Parameters.Add(new NpgsqlParameter("next", NpgsqlDbType.TimestampTz)
                    {
                        Value = outcome.NextAttemptAt is { } next ? next.ToUniversalTime() : DBNull.Value,
                    });
                    batch.BatchCommands.Add(command);
                }
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            _done = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_done)
            {
                try
                {
                    await transaction.RollbackAsync();
                }
                catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
                {
                    // A broken connection: the server rolled back with it, releasing the rows.
                }
            }
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private static async Task<List<AlertRule>> ReadRulesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rules = new List<AlertRule>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rules.Add(ReadRule(reader));
        }
        return rules;
    }

    // Ordinals of RuleColumns (and of ReadStandingsAsync's first eleven columns).
    private static AlertRule ReadRule(NpgsqlDataReader reader) => new()
    {
        RuleId = reader.GetString(0),
        Name = reader.GetString(1),
        Scope = reader.GetString(2),
        TargetId = reader.GetString(3),
        Period = reader.GetString(4),
        Thresholds = reader.GetFieldValue<int[]>(5),
        BudgetUsd = reader.IsDBNull(6) ? null : reader.GetDecimal(6),
        WebhookUrl = reader.GetString(7),
        Enabled = reader.GetBoolean(8),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(9),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(10),
    };

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static NpgsqlParameter NullableText(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = value is null ? DBNull.Value : value };

    private static NpgsqlParameter Budget(decimal? usd) =>
        new("budget_usd", NpgsqlDbType.Numeric) { Value = usd is { } v ? Math.Round(v, 8) : DBNull.Value };

    private static string NewRuleId()
    {
        // 48 random bits like team and key ids (StoreIds); a collision fails the insert, and the admin retries.
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        return RuleIdPrefix + Convert.ToHexStringLower(random);
    }
}
