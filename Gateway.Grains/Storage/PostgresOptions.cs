namespace Gateway.Grains.Storage;

/// <summary>Where keys and spend live. Section <c>Postgres</c>.</summary>
public sealed class PostgresOptions
{
    public const string Section = "Postgres";

    /// <summary>An Npgsql connection string; empty keeps keys and spend in memory (local runs only).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending schema migrations when the host starts (else run the <c>migrate</c> command first).</summary>
    public bool MigrateOnStart { get; set; } = true;
}
