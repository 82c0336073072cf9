using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;
using Gateway.Silo.Hosting;

// `dotnet Gateway.Silo.dll migrate` applies the Postgres schema migrations and exits (the Helm hook Job).
if (args is ["migrate", .. var migrateArgs])
{
    return await MigrateVerb.RunAsync(migrateArgs);
}

// Settings come from appsettings.json beside the binaries, then the environment (Cluster__RedisConnectionString, ...).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.UseOrleans(silo => silo.UseGatewayClustering(builder.Configuration));
builder.Services.AddGatewayGrainServices(builder.Configuration);
builder.Services.AddGatewayStorage(builder.Configuration);
builder.Services.AddHostedService<SiloFirstShutdown>();

var app = builder.Build();
app.MapSiloHealthEndpoints();
app.MapSiloMetrics();
await app.RunAsync();
return 0;
