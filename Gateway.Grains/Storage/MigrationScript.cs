namespace Gateway.Grains.Storage;

/// <summary>One schema migration: its version (the file name, e.g. <c>0001_keys</c>) and its SQL.</summary>
public sealed record MigrationScript(string Version, string Sql);
