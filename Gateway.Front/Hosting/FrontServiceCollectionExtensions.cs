using Gateway.Front.Cors;
using Gateway.Front.Endpoints;
using Gateway.Front.Forwarding;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Hosting;

public static class FrontServiceCollectionExtensions
{
    /// <summary>Everything the HTTP edge needs: options validated at start, forwarder, CORS, health.</summary>
    public static WebApplicationBuilder AddGatewayFront(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidator>();

        // The edge enforces its own body limit with an Anthropic-shaped 413; Kestrel's stays as a backstop.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = gateway.Value.MaxRequestBodyBytes + 1;
        });

        services.AddHttpForwarder();
        services.AddSingleton<UpstreamDirectory>();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton<ReadinessState>();
        services.AddHostedService<EmbeddedFakeUpstream>();
        services.AddBrowserCors(builder.Configuration);
        return builder;
    }

    /// <summary>The request pipeline: CORS first (preflights never reach the API), then the endpoints.</summary>
    public static WebApplication MapGatewayFront(this WebApplication app)
    {
        app.UseCors(BrowserCorsOptions.PolicyName);
        app.MapHealthEndpoints();
        app.MapMessagesEndpoints();
        app.MapPassThroughEndpoints();
        return app;
    }
}
