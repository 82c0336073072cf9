using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Audit;

/// <summary>Refuses, at start, audit settings that cannot work, naming the key.</summary>
public sealed class AuditOptionsValidator(bool postgresConfigured) : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        if (options.Enabled == true && !postgresConfigured)
        {
            failures.Add($"{AuditOptions.Section}:Enabled is true but {PostgresOptions.Section}:ConnectionString is empty: the audit log needs Postgres.");
        }
        if (options.BufferCapacity <= 0)
        {
            failures.Add($"{AuditOptions.Section}:BufferCapacity must be positive, got {options.BufferCapacity}.");
        }
        if (options.BatchSize <= 0)
        {
            failures.Add($"{AuditOptions.Section}:BatchSize must be positive, got {options.BatchSize}.");
        }
        if (options.FlushInterval <= TimeSpan.Zero)
        {
            failures.Add($"{AuditOptions.Section}:FlushInterval must be positive, got {options.FlushInterval}.");
        }
        if (options.RetentionDays < 0)
        {
            failures.Add($"{AuditOptions.Section}:RetentionDays must be 0 (keep everything) or more, got {options.RetentionDays}.");
        }
        if (options.ShutdownFlushTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{AuditOptions.Section}:ShutdownFlushTimeout must be positive, got {options.ShutdownFlushTimeout}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
