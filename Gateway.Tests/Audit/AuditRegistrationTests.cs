using Gateway.Front.Audit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Audit;

/// <summary><c>AddGatewayAudit</c>: which sink, and settings refused at start naming the key.</summary>
public sealed class AuditRegistrationTests
{
    private const string Postgres = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    [Fact]
    public void Without_Postgres_records_are_counted_and_discarded()
    {
        using var host = Build(new());
        var sink = Assert.IsType<NullAuditSink>(host.Services.GetRequiredService<IAuditSink>());
        sink.Write(AuditRecords.Sample("x", 1));
        Assert.Equal(1, sink.Discarded);
        Assert.DoesNotContain(host.Services.GetServices<IHostedService>(), s => s is PostgresAuditSink);
    }

    [Fact]
    public void With_Postgres_the_audit_log_is_on_unless_disabled()
    {
        using (var host = Build(new() { ["Postgres:ConnectionString"] = Postgres }))
        {
            var sink = Assert.IsType<PostgresAuditSink>(host.Services.GetRequiredService<IAuditSink>());
            Assert.Contains(host.Services.GetServices<IHostedService>(), s => ReferenceEquals(s, sink));
        }
        using (var host = Build(new() { ["Postgres:ConnectionString"] = Postgres, ["Audit:Enabled"] = "false" }))
        {
            Assert.IsType<NullAuditSink>(host.Services.GetRequiredService<IAuditSink>());
        }
    }

    [Theory]
    [InlineData("Audit:Enabled", "true", false, "Audit:Enabled is true but Postgres:ConnectionString is empty")]
    [InlineData("Audit:BufferCapacity", "0", true, "Audit:BufferCapacity must be positive")]
    [InlineData("Audit:BatchSize", "-1", true, "Audit:BatchSize must be positive")]
    [InlineData("Audit:FlushInterval", "00:00:00", true, "Audit:FlushInterval must be positive")]
    [InlineData("Audit:RetentionDays", "-2", true, "Audit:RetentionDays must be 0")]
    [InlineData("Audit:ShutdownFlushTimeout", "00:00:00", true, "Audit:ShutdownFlushTimeout must be positive")]
    public async Task Bad_settings_fail_at_start_naming_the_key(string key, string value, bool withPostgres, string message)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (withPostgres)
        {
            settings["Postgres:ConnectionString"] = Postgres;
        }
        using var host = Build(settings);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void The_defaults_are_as_documented()
    {
        var options = new AuditOptions();
        Assert.Null(options.Enabled);
        Assert.Equal(100_000, options.BufferCapacity);
        Assert.Equal(5_000, options.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.FlushInterval);
        Assert.Equal(0, options.RetentionDays);
        Assert.Equal(TimeSpan.FromSeconds(20), options.ShutdownFlushTimeout);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddGatewayAudit(builder.Configuration);
        return builder.Build();
    }
}
