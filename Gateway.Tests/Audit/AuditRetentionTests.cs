using Gateway.Front.Audit;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Npgsql;

namespace Gateway.Tests.Audit;

/// <summary>The sink keeps the daily partitions: the next days made ahead, days past the retention dropped.</summary>
public sealed class AuditRetentionTests
{
    [Fact]
    public async Task Partitions_older_than_the_retention_are_dropped_and_the_next_days_exist()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        foreach (var ago in new[] { 10, 4, 3, 1 })
        {
            await using var create = database.DataSource.CreateCommand("SELECT ensure_request_log_partition(@day)");
            create.Parameters.AddWithValue("day", today.AddDays(-ago));
            await create.ExecuteNonQueryAsync();
        }

        await using var running = await RunningSink.StartAsync(database.DataSource, new AuditOptions { RetentionDays = 3 });

        var expected = new[] { -3, -1, 0, 1, 2 }.Select(d => Name(today.AddDays(d))).ToList();
        await Hosting.Eventually.HoldsAsync("days before today-3 dropped, today-3 to today+2 present",
            async () => (await PartitionsAsync(database.DataSource)).SequenceEqual(expected), TimeSpan.FromSeconds(10),
            () => string.Join(", ", PartitionsAsync(database.DataSource).GetAwaiter().GetResult()));
        // The drop is logged after its transaction commits, so the entry may trail the partitions.
        await Hosting.Eventually.HoldsAsync("the drop logged",
            () => Task.FromResult(running.Logger.Entries.Any(e => e.Message.Contains("Dropped 2 request_log daily partitions older than 3 days"))),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Without_retention_nothing_is_dropped()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        var old = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-400);
        await using (var create = database.DataSource.CreateCommand("SELECT ensure_request_log_partition(@day)"))
        {
            create.Parameters.AddWithValue("day", old);
            await create.ExecuteNonQueryAsync();
        }

        await using var running = await RunningSink.StartAsync(database.DataSource);
        await running.Sink.EnsurePartitionsAsync(CancellationToken.None);
        await Task.Delay(200);

        var partitions = await PartitionsAsync(database.DataSource);
        Assert.Contains(Name(old), partitions);
        Assert.Equal(4, partitions.Count);
    }

    private static string Name(DateOnly day) => $"request_log_{day:yyyyMMdd}";

    private static async Task<List<string>> PartitionsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'request_log'::regclass AND c.relname ~ '^request_log_[0-9]{8}$' ORDER BY c.relname
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }
}
