namespace Gateway.Bench;

/// <summary>One statement against a Postgres server (creating and dropping the bench's scratch databases).</summary>
internal static class PostgresCommand
{
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
