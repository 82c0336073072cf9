using Gateway.Front.Audit;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Tests.Audit;

/// <summary>The sink as the front registers it (<c>AddGatewayAudit</c>, hosted): a graceful stop writes what is buffered.</summary>
public sealed class AuditShutdownTests
{
    [Fact]
    public async Task Stopping_the_host_writes_every_buffered_record()
    {
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Postgres:ConnectionString"] = database.ConnectionString,
            // Nothing would be written for a minute but for the shutdown flush.
            ["Audit:FlushInterval"] = "00:01:00",
        });
        builder.Services.AddGatewayAudit(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var sink = Assert.IsType<PostgresAuditSink>(host.Services.GetRequiredService<IAuditSink>());

        var run = Guid.NewGuid().ToString("N")[..8];
        const int Records = 2_500;
        for (var i = 0; i < Records; i++)
        {
            sink.Write(AuditRecords.Sample(run, i));
        }
        await Task.Delay(100);
        Assert.Equal(0, sink.Written);
        Assert.Equal(Records, sink.Buffered);

        await host.StopAsync();

        Assert.Equal(Records, sink.Written);
        Assert.Equal(0, sink.Buffered);
        Assert.Equal(0, sink.Dropped);
        Assert.Equal(Records, await AuditRecords.CountAsync(database.DataSource));
    }
}
