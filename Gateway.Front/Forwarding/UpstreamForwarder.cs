using System.Diagnostics;
using System.Net;
using Gateway.Front.Clouds;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Front.OpenAi.Provider;
using Gateway.Front.Routing;
using Gateway.Front.Upstreams;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Front.Forwarding;

/// <summary>
/// Sends a request upstream with YARP's forwarder inside a Polly retry, while no byte has reached the
/// client and the deadline allows. Each attempt goes to the route's current provider (behind that
/// provider's own circuit breaker) with the pooled key that has the most headroom. After a failure:
/// a 429 moves to another key of the pool at once; a 529, a dead provider or an open circuit moves to
/// the route's next fallback provider at once; other 5xx (and 529/connect failures with no fallback
/// left) back off exponentially on the same provider.
/// </summary>
public sealed class UpstreamForwarder : IDisposable
{
    private readonly IHttpForwarder _forwarder;
    private readonly RouteTable _routes;
    private readonly UpstreamOptions _options;
    private readonly ILogger<UpstreamForwarder> _logger;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ResiliencePipeline<AttemptOutcome> _pipeline;
    private readonly CloudUpstreams _clouds;

    private static readonly ResiliencePropertyKey<ProxyExchange> ExchangeKey = new("gateway.exchange");

    /// <summary>Safety bound on attempts; the real bounds are MaxRetries, the pool size and the route length.</summary>
    private const int MaxAttempts = 64;

    public UpstreamForwarder(IHttpForwarder forwarder, RouteTable routes, IOptions<UpstreamOptions> options,
        ILogger<UpstreamForwarder> logger, CloudUpstreams clouds)
    {
        _clouds = clouds;
        _forwarder = forwarder;
        _routes = routes;
        _options = options.Value;
        _logger = logger;
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = _options.ConnectTimeout,
            MaxConnectionsPerServer = _options.MaxConnectionsPerServer,
            // Re-resolve DNS now and then so a moved upstream endpoint is picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ActivityHeadersPropagator = null,
        }, disposeHandler: true);
        _requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = _options.IdleTimeout,
            // Buffering would hold SSE events back from the client.
            AllowResponseBuffering = false,
            Version = _options.RequestVersion.Version,
            VersionPolicy = _options.RequestVersion.Policy,
        };
        _pipeline = BuildPipeline();
    }

    /// <summary>
    /// Forwards the request and writes the response (or the gateway's own error) to the client; returns
    /// what it did for the caller to record. The request counts in <c>gateway_requests_in_flight</c> until
    /// then: YARP returns once the response's last byte is written or the client has gone away.
    /// </summary>
    public async Task<ForwardOutcome> ForwardAsync(HttpContext context, ProxyExchange exchange)
    {
        using var inFlight = FrontMetrics.InFlight(exchange.Endpoint);
        context.Features.Set(exchange);
        exchange.Route ??= _routes.Resolve(exchange.Envelope?.Model, context.Features.Get<Gateway.Grains.Abstractions.KeyDescriptor>()?.TeamId);
        exchange.Step = 0;
        var resilience = ResilienceContextPool.Shared.Get(context.RequestAborted);
        resilience.Properties.Set(ExchangeKey, exchange);
        AttemptOutcome outcome;
        try
        {
            outcome = await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.AttemptAsync(state.Context, state.Exchange, ctx.CancellationToken),
                resilience, (Self: this, Context: context, Exchange: exchange));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return exchange.Outcome;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }

        switch (outcome)
        {
            case AttemptOutcome.RetryableStatus:
            case AttemptOutcome.RateLimited:
                await exchange.HeldFailure!.ReplayAsync(context);
                break;
            case AttemptOutcome.ConnectFailure:
                var error = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? "connection failed";
                ForwardingLog.Unreachable(_logger, exchange.Attempts, error);
                await GatewayError.WriteAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                    $"The upstream API could not be reached after {exchange.Attempts} attempt(s).", TimeSpan.FromSeconds(1), shouldRetry: true);
                break;
            case AttemptOutcome.TimedOut:
                await GatewayError.WriteAsync(context, StatusCodes.Status504GatewayTimeout, AnthropicErrorTypes.Timeout,
                    "The upstream API did not answer in time.", shouldRetry: true);
                break;
            case AttemptOutcome.CircuitOpen:
                if (exchange.HeldFailure is { } held)
                {
                    await held.ReplayAsync(context);
                    break;
                }
                var wait = exchange.CircuitRetryAfter ?? CurrentStep(exchange).Provider.BreakerSettings.BreakDuration;
                ForwardingLog.CircuitOpen(_logger, wait.TotalSeconds);
                await GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded,
                    "The upstream API is failing; the gateway is not sending it requests for a few seconds.", wait, shouldRetry: true);
                break;
            case AttemptOutcome.PoolExhausted:
                if (exchange.HeldFailure is { } last)
                {
                    // The last upstream answer (e.g. the 429 of the pool's last key), exactly as received.
                    await last.ReplayAsync(context);
                    break;
                }
                var provider = CurrentStep(exchange).Provider;
                var soonest = provider.Pool.SoonestAvailable(exchange.ModelClass) - DateTimeOffset.UtcNow;
                await GatewayError.WriteAsync(context, StatusCodes.Status429TooManyRequests, AnthropicErrorTypes.RateLimit,
                    $"Every upstream key of provider '{provider.Name}' is rate limited for {exchange.ModelClass.ToString().ToLowerInvariant()} models; retry after the time given.",
                    soonest > TimeSpan.Zero ? soonest : TimeSpan.FromSeconds(1), shouldRetry: true);
                break;
        }
        return exchange.Outcome;
    }

    private static RouteStep CurrentStep(ProxyExchange exchange) => exchange.Route!.Steps[exchange.Step];

    private async ValueTask<AttemptOutcome> AttemptAsync(HttpContext context, ProxyExchange exchange, CancellationToken cancellationToken)
    {
        switch (exchange.Next)
        {
            case NextAttempt.NextProvider:
                exchange.Step++;
                exchange.BackoffRetries = 0;
                exchange.KeySwitches = 0;
                break;
            case NextAttempt.SameProvider:
                exchange.BackoffRetries++;
                break;
            case NextAttempt.OtherKey:
                exchange.KeySwitches++;
                break;
        }
        exchange.Next = NextAttempt.None;
        var step = CurrentStep(exchange);
        var provider = step.Provider;
        exchange.Provider = provider.Name;
        // Only a replayable body can be sent twice; a streamed-through body gets one attempt.
        exchange.Replayable = exchange.Body is not null
            || (context.Request.ContentLength is null or 0 && !context.Request.Headers.ContainsKey("Transfer-Encoding"));

        var now = DateTimeOffset.UtcNow;
        var pool = provider.Pool;
        // The class of the model actually sent (an alias may change it): upstream limits are per key and class.
        exchange.ModelClass = ModelClasses.Of(step.Alias ?? exchange.Envelope?.Model);
        PooledKey? key = null;
        if (!pool.IsEmpty)
        {
            key = pool.Pick(now, modelClass: exchange.ModelClass);
            if (key is null)
            {
                FrontMetrics.UpstreamError(provider.Name, "", "pool_exhausted");
                exchange.Next = HasFallback(exchange) ? NextAttempt.NextProvider : NextAttempt.None;
                return AttemptOutcome.PoolExhausted;
            }
        }
        exchange.Key = key;
        exchange.Upstream = key?.Credential;

        try
        {
            var outcome = await provider.Breaker.ExecuteAsync(
                static (state, ct) => state.Self.SendAsync(state.Context, state.Exchange, state.Provider, ct),
                (Self: this, Context: context, Exchange: exchange, Provider: provider), cancellationToken);
            exchange.Next = Decide(exchange, outcome);
            return outcome;
        }
        catch (BrokenCircuitException open)
        {
            FrontMetrics.UpstreamError(provider.Name, exchange.Upstream?.Id ?? "", "circuit_open");
            exchange.CircuitRetryAfter = open.RetryAfter;
            exchange.Next = HasFallback(exchange) && CanMove(exchange) ? NextAttempt.NextProvider : NextAttempt.None;
            return AttemptOutcome.CircuitOpen;
        }
    }

    private async ValueTask<AttemptOutcome> SendAsync(HttpContext context, ProxyExchange exchange, UpstreamProvider provider,
        CancellationToken cancellationToken)
    {
        if (provider.IsOpenAi && await OpenAiUpstream.TryAnswerLocallyAsync(context, exchange, provider.Name))
        {
            return AttemptOutcome.Delivered;
        }
        if (provider.IsBedrock && await BedrockUpstream.TryAnswerLocallyAsync(context, exchange, provider, CurrentStep(exchange).Alias))
        {
            return AttemptOutcome.Delivered;
        }
        exchange.Attempts++;
        exchange.Answer = default;
        exchange.MayRetryResponse = CanBackoff(exchange) || (HasFallback(exchange) && CanMove(exchange));
        exchange.MayRetryRateLimit = exchange.Key is { } current && CanMove(exchange)
            && exchange.KeySwitches < provider.Pool.Keys.Count - 1
            && provider.Pool.HasAvailableOtherThan(current, DateTimeOffset.UtcNow, exchange.ModelClass);
        var body = BodyFor(context, exchange, out var untranslatable);
        if (untranslatable is not null)
        {
            await GatewayError.InvalidRequest(context, untranslatable);
            return AttemptOutcome.Delivered;
        }
        exchange.Cloud = null;
        if (provider.IsVertex || provider.IsFoundry)
        {
            // :: the cloud's path and credential (a Google token may be fetched here, ahead of its expiry)
            var model = exchange.Envelope is { } envelope ? CloudUpstreams.ProviderModel(provider, CurrentStep(exchange).Alias ?? envelope.Model) : null;
            var (call, refusal) = await _clouds.PrepareAsync(provider, context.Request.Path.Value ?? "", model,
                exchange.Envelope?.Stream ?? false, exchange.Upstream, cancellationToken);
            if (refusal is not null)
            {
                if (refusal.Cause is { } cause)
                {
                    ForwardingLog.Unreachable(_logger, exchange.Attempts, cause.Message);
                    FrontMetrics.UpstreamError(provider.Name, exchange.Upstream?.Id ?? "", "credential");
                }
                await GatewayError.WriteAsync(context, refusal.Status,
                    refusal.Status == StatusCodes.Status404NotFound ? AnthropicErrorTypes.NotFound : AnthropicErrorTypes.Api, refusal.Message,
                    refusal.Status >= 500 ? TimeSpan.FromSeconds(1) : null, shouldRetry: refusal.Status >= 500 ? true : null);
                return AttemptOutcome.Delivered;
            }
            exchange.Cloud = call;
        }
        if (provider.IsBedrock && !await BedrockUpstream.TrySignAsync(context, exchange, provider, body!, _logger, cancellationToken))
        {
            return AttemptOutcome.Delivered;
        }
        exchange.Key?.Sent();
        if (body is not null)
        {
            context.Request.Body = body.OpenRead();
            context.Request.ContentLength = body.Length;
            context.Request.Headers.Remove("Transfer-Encoding");
        }
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
        }

        var error = await _forwarder.SendAsync(context, provider.DestinationPrefix, _invoker, _requestConfig,
            UpstreamTransformer.Instance, cancellationToken);

        var answer = exchange.Answer;
        if (answer.Held is { } held)
        {
            exchange.HeldFailure = held;
            var status = held.Status;
            FrontMetrics.UpstreamError(provider.Name, exchange.Upstream?.Id ?? "",
                status == 429 ? "status_429" : status == RetryPolicy.Overloaded ? "status_529" : "status_5xx");
            return status == 429 ? AttemptOutcome.RateLimited : AttemptOutcome.RetryableStatus;
        }
        if (context.RequestAborted.IsCancellationRequested)
        {
            return AttemptOutcome.ClientAborted;
        }
        var outcome = error switch
        {
            ForwarderError.Request when !context.Response.HasStarted => AttemptOutcome.ConnectFailure,
            // A connect that hangs (SYNs dropped: a full backlog, a black-holed address) ends in the
            // handler's ConnectTimeout, which YARP reports as a timeout; it is a connect failure, retried
            // and failed over like a refused connect, not a 504 (found by the upstream-fault suite).
            ForwarderError.RequestTimedOut when !context.Response.HasStarted && IsConnectTimeout(context) => AttemptOutcome.ConnectFailure,
            ForwarderError.RequestTimedOut when !context.Response.HasStarted => AttemptOutcome.TimedOut,
            _ => AttemptOutcome.Delivered,
        };
        var kind = outcome switch
        {
            AttemptOutcome.ConnectFailure => "connect",
            AttemptOutcome.TimedOut => "timeout",
            _ when error is not ForwarderError.None => "mid_stream",
            _ when answer.Status is 429 => "status_429",
            _ when answer.Status >= 500 => answer.Status == RetryPolicy.Overloaded ? "status_529" : "status_5xx",
            _ => null,
        };
        if (kind is not null)
        {
            FrontMetrics.UpstreamError(provider.Name, exchange.Upstream?.Id ?? "", kind);
        }
        return outcome;
    }

    /// <summary>SocketsHttpHandler's ConnectTimeout surfaces as a cancellation wrapping a TimeoutException; the idle timeout does not.</summary>
    private static bool IsConnectTimeout(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>()?.Exception is OperationCanceledException { InnerException: TimeoutException };

    /// <summary>
    /// The body for the current route step: the client's bytes, a copy with the model rewritten to the
    /// step's alias, or for an OpenAI-compatible provider the Chat Completions translation (null with
    /// <paramref name="untranslatable"/> set when the body cannot be translated).
    /// </summary>
    private static RequestBody? BodyFor(HttpContext context, ProxyExchange exchange, out string? untranslatable)
    {
        untranslatable = null;
        var step = CurrentStep(exchange);
        var alias = step.Alias;
        if ((step.Provider.IsVertex || step.Provider.IsFoundry) && exchange.Body is { } cloudBody && exchange.Envelope is { } cloudEnvelope)
        {
            return CloudBodyFor(context, exchange, step, cloudBody, cloudEnvelope, out untranslatable);
        }
        if (step.Provider.IsBedrock && exchange.Body is { } cloud)
        {
            // The model is in the path, so one Bedrock body serves every alias and attempt.
            if (exchange.RoutedAlias != BedrockBodyKey)
            {
                exchange.RoutedBody?.Dispose();
                exchange.RoutedBody = null;
                exchange.RoutedAlias = null;
                if (BedrockUpstream.Body(cloud, context.Request.Headers, step.Provider.Name, out var error) is not { } rewritten)
                {
                    untranslatable = error;
                    return null;
                }
                exchange.RoutedBody = rewritten;
                exchange.RoutedAlias = BedrockBodyKey;
            }
            return exchange.RoutedBody;
        }
        if (step.Provider.IsOpenAi && exchange.Body is { } messages && exchange.Envelope is { } envelope)
        {
            var model = alias ?? envelope.Model;
            var cacheKey = OpenAiBodyKey + model;
            if (exchange.RoutedAlias != cacheKey)
            {
                exchange.RoutedBody?.Dispose();
                exchange.RoutedBody = null;
                exchange.RoutedAlias = null;
                if (MessagesToChatRequest.Translate(messages.Span, model, out var error) is not { } chat)
                {
                    untranslatable = error;
                    return null;
                }
                exchange.RoutedBody = chat;
                exchange.RoutedAlias = cacheKey;
            }
            return exchange.RoutedBody;
        }
        if (exchange.Body is not { } original || alias is null || alias == exchange.Envelope?.Model)
        {
            return exchange.Body;
        }
        if (exchange.RoutedAlias != alias)
        {
            exchange.RoutedBody?.Dispose();
            exchange.RoutedBody = ModelAlias.Rewrite(original.Span, alias) is { } rewritten ? RequestBody.FromBytes(rewritten) : null;
            exchange.RoutedAlias = alias;
        }
        return exchange.RoutedBody ?? original;
    }

    /// <summary>
    /// A cloud provider's body (Clouds/): the model mapped to the provider's id, Vertex's body shape, what the
    /// provider refuses dropped. Cached per provider for retries; null: the client's bytes go unchanged.
    /// </summary>
    private static RequestBody? CloudBodyFor(HttpContext context, ProxyExchange exchange, RouteStep step, RequestBody original,
        RequestEnvelope envelope, out string? untranslatable)
    {
        untranslatable = null;
        var clientModel = step.Alias ?? envelope.Model;
        if (CloudUpstreams.ProviderModel(step.Provider, clientModel) is not { } providerModel)
        {
            untranslatable = $"model: {VertexModelIds.Quote(clientModel)} is not a model id provider '{step.Provider.Name}' can be asked for.";
            return null;
        }
        var cacheKey = CloudBodyKey + step.Provider.Name;
        if (exchange.RoutedAlias != cacheKey)
        {
            exchange.RoutedBody?.Dispose();
            exchange.RoutedBody = CloudUpstreams.BodyFor(step.Provider, original.Span, envelope.Model, providerModel,
                context.Request.Path.Equals(CloudUpstreams.CountTokensPath, StringComparison.OrdinalIgnoreCase),
                context.Request.Headers[ProviderCapabilities.BetaHeader], out var error);
            if (error is not null)
            {
                exchange.RoutedAlias = null;
                untranslatable = error;
                return null;
            }
            exchange.RoutedAlias = cacheKey;
        }
        return exchange.RoutedBody ?? original;
    }

    /// <summary>Marks a cached routed body as a cloud provider's (never equal to a model alias).</summary>
    private const string CloudBodyKey = "\u0002cloud:";

    /// <summary>Marks a cached routed body as a Chat translation (never equal to a model alias).</summary>
    private const string OpenAiBodyKey = "\u0001chat:";

    /// <summary>Marks a cached routed body as the Bedrock rewrite.</summary>
    private const string BedrockBodyKey = "\u0001bedrock";

    /// <summary>What follows an attempt that went through the breaker.</summary>
    private NextAttempt Decide(ProxyExchange exchange, AttemptOutcome outcome)
    {
        switch (outcome)
        {
            case AttemptOutcome.RateLimited:
                return CanMove(exchange) ? NextAttempt.OtherKey : NextAttempt.None;
            case AttemptOutcome.RetryableStatus:
                // Overload is provider-wide: a fallback gets the request at once; other 5xx are retried here first.
                if (exchange.HeldFailure!.Status == RetryPolicy.Overloaded && HasFallback(exchange) && CanMove(exchange))
                {
                    return NextAttempt.NextProvider;
                }
                return CanBackoff(exchange) ? NextAttempt.SameProvider
                    : HasFallback(exchange) && CanMove(exchange) ? NextAttempt.NextProvider : NextAttempt.None;
            case AttemptOutcome.ConnectFailure:
                return HasFallback(exchange) && CanMove(exchange) ? NextAttempt.NextProvider
                    : CanBackoff(exchange) ? NextAttempt.SameProvider : NextAttempt.None;
            default:
                return NextAttempt.None;
        }
    }

    private static bool HasFallback(ProxyExchange exchange) => exchange.Step + 1 < exchange.Route!.Steps.Count;

    /// <summary>Another attempt elsewhere is allowed: a body that can be sent again, time left.</summary>
    private bool CanMove(ProxyExchange exchange) =>
        exchange.Replayable
        && exchange.Attempts < MaxAttempts
        && Stopwatch.GetElapsedTime(exchange.StartTimestamp) < _options.RetryDeadline;

    /// <summary>A backoff retry on the same provider is allowed: retries left, and <see cref="CanMove"/>.</summary>
    private bool CanBackoff(ProxyExchange exchange) => exchange.BackoffRetries < _options.MaxRetries && CanMove(exchange);

    private TimeSpan BackoffDelay(ProxyExchange exchange)
    {
        // An upstream that names its back-off (retry-after on a 529 or 503) is obeyed when it fits.
        if (exchange.HeldFailure?.RetryAfter is { } after && after <= _options.RetryMaxDelay)
        {
            return after;
        }
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exchange.BackoffRetries);
        var jittered = exponential * (0.5 + Random.Shared.NextDouble() * 0.5);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _options.RetryMaxDelay.TotalMilliseconds));
    }

    private ResiliencePipeline<AttemptOutcome> BuildPipeline() =>
        new ResiliencePipelineBuilder<AttemptOutcome>()
            .AddRetry(new RetryStrategyOptions<AttemptOutcome>
            {
                MaxRetryAttempts = MaxAttempts,
                BackoffType = DelayBackoffType.Constant,
                Delay = TimeSpan.Zero,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is null
                    && args.Context.Properties.TryGetValue(ExchangeKey, out var exchange) && exchange.Next != NextAttempt.None),
                DelayGenerator = args =>
                {
                    TimeSpan? wait = args.Context.Properties.TryGetValue(ExchangeKey, out var exchange) && exchange.Next == NextAttempt.SameProvider
                        ? BackoffDelay(exchange)
                        : TimeSpan.Zero;
                    return ValueTask.FromResult(wait);
                },
                OnRetry = args =>
                {
                    var provider = args.Context.Properties.TryGetValue(ExchangeKey, out var exchange) ? exchange.Provider ?? "" : "";
                    FrontMetrics.UpstreamRetry(provider, args.Outcome.Result.ToString());
                    ForwardingLog.Retrying(_logger, args.AttemptNumber + 1, args.Outcome.Result, exchange?.Answer.Status is > 0 and var status ? status : null, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>The connection pool to the upstreams is the forwarder's own; the container disposes it at shutdown.</summary>
    public void Dispose() => _invoker.Dispose();
}
