using Gateway.Front.Admin;
using Gateway.Front.Admission;
using Gateway.Front.Audit;
using Gateway.Front.Auth;
using Gateway.Front.Batches;
using Gateway.Front.Console;
using Gateway.Front.Cors;
using Gateway.Front.Endpoints;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Identity;
using Gateway.Front.Metrics;
using Gateway.Front.Paths;
using Gateway.Front.Pipeline;
using Gateway.Front.Rewrite;
using Gateway.Front.Routing;
using Gateway.Front.SelfService;
using Gateway.Front.Settlement;
using Gateway.Front.Upstreams;
using Gateway.Grains.Hosting;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        var embedsFake = LocalFakeUpstream.AddIfLocalRun(builder); // a local run may go without an upstream; nothing else may
        services.AddSingleton<IValidateOptions<UpstreamOptions>>(new UpstreamOptionsValidator(embedsFake));
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamCredentialValidator>();

        // Draining streams may take minutes; an embedded silo's own setting (Cluster:ShutdownTimeout) is applied after this.
        services.AddOptions<HostOptions>().Configure<IOptions<GatewayOptions>>((host, gateway) => host.ShutdownTimeout = gateway.Value.ShutdownTimeout);

        // The edge enforces its own body limit with an Anthropic-shaped 413; Kestrel's stays as a backstop.
        var kestrelLimits = builder.Configuration.GetSection("Kestrel:Limits");
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayOptions>>((kestrel, gateway) =>
        {
            kestrel.AddServerHeader = false;
            // Kestrel's own limits (RequestHeadersTimeout, KeepAliveTimeout, MaxConcurrentConnections,
            // MaxRequestHeadersTotalSize, ...) from Kestrel:Limits, which the host does not bind by itself:
            // without this, a slow-loris client could only be cut at the 30 s default, whatever the config said.
            kestrelLimits.Bind(kestrel.Limits);
            // Headroom above the edge's limit lets Kestrel drain a moderately oversized body after the
            // 413, so the client reads the answer instead of a reset connection; far larger bodies are cut.
            var limit = gateway.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestBodySize = limit + Math.Min(limit, 16L * 1024 * 1024) + 1;
        });

        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.CacheTime > TimeSpan.Zero && o.CacheTime <= TimeSpan.FromSeconds(1),
                $"{AuthOptions.Section}:CacheTime must be positive and at most 00:00:01 (it bounds how long a revoked key keeps working).")
            .ValidateOnStart();
        services.AddOptions<AdmissionOptions>().BindConfiguration(AdmissionOptions.Section)
            .Validate(o => o.LeaseDuration > TimeSpan.Zero && o.LeaseDuration <= TimeSpan.FromSeconds(1),
                $"{AdmissionOptions.Section}:LeaseDuration must be positive and at most 00:00:01.")
            .Validate(o => o.OutputReservationCap > 0, $"{AdmissionOptions.Section}:OutputReservationCap must be positive.")
            .Validate(o => o.BytesPerInputToken > 0, $"{AdmissionOptions.Section}:BytesPerInputToken must be positive.")
            .Validate(o => o.ExternalInputTokens > 0, $"{AdmissionOptions.Section}:ExternalInputTokens must be positive.")
            .Validate(o => o.GrainCallAttempts > 0, $"{AdmissionOptions.Section}:GrainCallAttempts must be positive.")
            .Validate(o => o.SessionCheckInterval >= TimeSpan.Zero && o.SessionCheckInterval <= TimeSpan.FromSeconds(10),
                $"{AdmissionOptions.Section}:SessionCheckInterval must be between 00:00:00 and 00:00:10 (it bounds how far fronts together can take a session past its limits).")
            .ValidateOnStart();
        services.AddOptions<SettlementOptions>().BindConfiguration(SettlementOptions.Section)
            .Validate(o => o.FlushInterval > TimeSpan.Zero, $"{SettlementOptions.Section}:FlushInterval must be positive.")
            .Validate(o => o.RetryFor > TimeSpan.Zero && o.MaxRetryDelay > TimeSpan.Zero && o.Capacity > 0,
                $"{SettlementOptions.Section}:RetryFor, MaxRetryDelay and Capacity must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddPricing(builder.Configuration);
        var virtualKeys = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Mode != AuthMode.PassThrough;
        if (virtualKeys)
        {
            // Keys, leases and settlement live in grains: the front joins the cluster (or hosts one, locally).
            builder.AddGatewayCluster();
            if (!services.Any(d => d.ServiceType == typeof(IKeyStore)))
            {
                // A front in client mode still reads and writes keys for the admin API.
                services.AddGatewayStorage(builder.Configuration);
            }
            services.AddGatewayAdmin(builder.Configuration);
            services.AddGatewayConsole(builder.Configuration);
            services.AddSingleton<KeyAuthenticator>();
            services.AddSingleton<ICallerAuthentication, CallerAuthentication>();
            services.AddUnknownKeyDefences();
            services.AddSingleton<LeaseBook>();
            services.AddHostedService<LeaseSweeper>();
            services.AddSingleton<RequestAdmission>();
            services.AddSingleton<IRequestAdmission>(sp => sp.GetRequiredService<RequestAdmission>());
            services.AddSingleton<SessionCheck>();
            services.AddSingleton<ISessionSettlements>(sp => sp.GetRequiredService<SessionCheck>());
            services.AddSingleton<UsageSettler>();
            services.AddSingleton<IRequestSettlement, ReservationSettlement>();
            services.AddHostedService(sp => sp.GetRequiredService<UsageSettler>());
            services.AddHostedService<LocalDevKeySeeder>();
            services.AddGatewayBatches();
            services.AddSelfService();
            // Sign-in through the company's OIDC provider(s): people become user keys; off without Identity:Issuers.
            services.AddGatewayIdentity(builder.Configuration);
        }
        else
        {
            // Pass-through mode: the Messages pipeline's key-bound steps do nothing.
            services.AddSingleton<ICallerAuthentication, PassThroughAuthentication>();
            services.AddSingleton<IRequestAdmission, PassThroughAdmission>();
            services.AddSingleton<ISessionSettlements, NoSessionSettlements>();
            services.AddSingleton<IRequestSettlement, NoSettlement>();
        }

        services.AddCacheInjection(builder.Configuration);
        // Without keys, nothing can switch injection on when the options switch it off.
        services.AddSingleton<IRequestRewrite>(sp => !virtualKeys && !sp.GetRequiredService<IOptions<CacheInjectionOptions>>().Value.Enabled
            ? new NoRequestRewrite()
            : sp.GetRequiredService<CacheInjection>());
        services.AddSingleton<RequestAudit>();
        services.AddSingleton<RequestCompletion>();
        services.AddSingleton<MessagesPipeline>();
        services.AddGatewayAudit(builder.Configuration);
        services.AddHttpForwarder();
        services.AddSingleton<UpstreamDirectory>();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton<Clouds.CloudUpstreams>();
        services.AddUpstreamRouting();
        services.AddSingleton<ReadinessState>();
        services.AddBrowserCors(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// The request pipeline: CORS first (preflights never reach the API), then the canonical-path check
    /// of <c>/v1</c> requests (non-canonical paths never reach an endpoint), then the endpoints.
    /// </summary>
    public static WebApplication MapGatewayFront(this WebApplication app)
    {
        app.UseAnthropicErrorsForUnhandledExceptions();
        app.UseCors(BrowserCorsOptions.PolicyName);
        app.UseCanonicalApiPaths();
        app.MapHealthEndpoints();
        app.MapGatewayMetrics();
        app.MapMessagesEndpoints();
        app.MapChatCompletionsEndpoints();
        app.MapBedrockEndpoints();
        app.MapModelsEndpoints();
        app.MapVertexEndpoints();
        if (app.Services.GetService<IKeyChangeNotifier>() is not null)
        {
            app.MapAdminEndpoints();
            app.MapConsole();
        }
        app.MapIdentityEndpoints();
        app.MapBatchEndpoints();
        if (app.Services.GetService<KeyStandingCache>() is not null)
        {
            // A key's own usage (GET /gateway/usage): only where there are keys.
            app.MapSelfServiceEndpoints();
        }
        app.MapPassThroughEndpoints();
        return app;
    }
}
