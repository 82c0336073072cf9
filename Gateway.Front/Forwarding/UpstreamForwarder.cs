using System.Diagnostics;
using System.Net;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Front.Forwarding;

/// <summary>
/// Sends a request upstream with YARP's forwarder inside a Polly pipeline: retries with exponential
/// backoff and jitter while no byte has reached the client and the deadline allows, and a circuit
/// breaker that turns a dead upstream into an immediate 503 instead of a wait per request.
/// </summary>
public sealed class UpstreamForwarder
{
    private readonly IHttpForwarder _forwarder;
    private readonly UpstreamDirectory _upstream;
    private readonly UpstreamOptions _options;
    private readonly ILogger<UpstreamForwarder> _logger;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderRequestConfig _requestConfig;
    private readonly ResiliencePipeline<AttemptOutcome> _pipeline;

    private static readonly ResiliencePropertyKey<ProxyExchange> ExchangeKey = new("gateway.exchange");

    /// <summary>The provider label until routing across providers arrives.</summary>
    private const string Provider = "anthropic";

    public UpstreamForwarder(IHttpForwarder forwarder, UpstreamDirectory upstream, IOptions<UpstreamOptions> options,
        ILogger<UpstreamForwarder> logger)
    {
        _forwarder = forwarder;
        _upstream = upstream;
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
        };
        _pipeline = BuildPipeline();
    }

    /// <summary>Forwards the request and writes the response (or the gateway's own error) to the client.</summary>
    public async Task ForwardAsync(HttpContext context, ProxyExchange exchange)
    {
        context.Features.Set(exchange);
        exchange.Upstream ??= _upstream.NextCredential();
        var resilience = ResilienceContextPool.Shared.Get(context.RequestAborted);
        resilience.Properties.Set(ExchangeKey, exchange);
        AttemptOutcome outcome;
        try
        {
            outcome = await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Self.AttemptAsync(state.Context, state.Exchange, ctx.CancellationToken),
                resilience, (Self: this, Context: context, Exchange: exchange));
        }
        catch (BrokenCircuitException open)
        {
            if (exchange.HeldFailure is { } held)
            {
                await held.ReplayAsync(context);
                return;
            }
            FrontMetrics.UpstreamError(Provider, exchange.Upstream?.Id ?? "", "circuit_open");
            var wait = open.RetryAfter ?? _options.Breaker.BreakDuration;
            ForwardingLog.CircuitOpen(_logger, wait.TotalSeconds);
            await GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded,
                "The upstream API is failing; the gateway is not sending it requests for a few seconds.", wait, shouldRetry: true);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }

        switch (outcome)
        {
            case AttemptOutcome.RetryableStatus:
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
        }
    }

    private async ValueTask<AttemptOutcome> AttemptAsync(HttpContext context, ProxyExchange exchange, CancellationToken cancellationToken)
    {
        exchange.Attempts++;
        exchange.CurrentAttemptHeld = false;
        // Only a replayable body can be sent twice; a streamed-through body gets one attempt.
        exchange.Replayable = exchange.Body is not null
            || (context.Request.ContentLength is null or 0 && !context.Request.Headers.ContainsKey("Transfer-Encoding"));
        exchange.MayRetryResponse = CanRetry(exchange);
        if (exchange.Body is { } body)
        {
            context.Request.Body = body.OpenRead();
            context.Request.ContentLength = body.Length;
            context.Request.Headers.Remove("Transfer-Encoding");
        }
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
        }

        var error = await _forwarder.SendAsync(context, _upstream.DestinationPrefix, _invoker, _requestConfig,
            UpstreamTransformer.Instance, cancellationToken);

        if (exchange.CurrentAttemptHeld)
        {
            FrontMetrics.UpstreamError(Provider, exchange.Upstream?.Id ?? "", exchange.HeldFailure!.Status == RetryPolicy.Overloaded ? "status_529" : "status_5xx");
            return AttemptOutcome.RetryableStatus;
        }
        if (context.RequestAborted.IsCancellationRequested)
        {
            return AttemptOutcome.ClientAborted;
        }
        var outcome = error switch
        {
            ForwarderError.Request when !context.Response.HasStarted => AttemptOutcome.ConnectFailure,
            ForwarderError.RequestTimedOut when !context.Response.HasStarted => AttemptOutcome.TimedOut,
            _ => AttemptOutcome.Delivered,
        };
        var kind = outcome switch
        {
            AttemptOutcome.ConnectFailure => "connect",
            AttemptOutcome.TimedOut => "timeout",
            _ when error is not ForwarderError.None => "mid_stream",
            _ when exchange.UpstreamStatus is 429 => "status_429",
            _ when exchange.UpstreamStatus >= 500 => exchange.UpstreamStatus == RetryPolicy.Overloaded ? "status_529" : "status_5xx",
            _ => null,
        };
        if (kind is not null)
        {
            FrontMetrics.UpstreamError(Provider, exchange.Upstream?.Id ?? "", kind);
        }
        return outcome;
    }

    /// <summary>Another attempt is allowed: attempts left, a body that can be sent again, time left.</summary>
    private bool CanRetry(ProxyExchange exchange) =>
        exchange.Attempts <= _options.MaxRetries
        && exchange.Replayable
        && Stopwatch.GetElapsedTime(exchange.StartTimestamp) < _options.RetryDeadline;

    private ResiliencePipeline<AttemptOutcome> BuildPipeline()
    {
        var retryable = (AttemptOutcome o) => o is AttemptOutcome.RetryableStatus or AttemptOutcome.ConnectFailure;
        return new ResiliencePipelineBuilder<AttemptOutcome>()
            .AddRetry(new RetryStrategyOptions<AttemptOutcome>
            {
                MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.RetryMaxDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is null && retryable(args.Outcome.Result)
                    && args.Context.Properties.TryGetValue(ExchangeKey, out var exchange) && CanRetry(exchange)),
                DelayGenerator = args =>
                {
                    // An upstream that names its back-off (retry-after on a 529 or 503) is obeyed when it fits.
                    TimeSpan? wait = args.Context.Properties.TryGetValue(ExchangeKey, out var exchange)
                        && exchange.HeldFailure?.RetryAfter is { } after && after <= _options.RetryMaxDelay ? after : null;
                    return ValueTask.FromResult(wait);
                },
                OnRetry = args =>
                {
                    FrontMetrics.UpstreamRetry(Provider, args.Outcome.Result.ToString());
                    ForwardingLog.Retrying(_logger, args.AttemptNumber + 1, args.Outcome.Result, null, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptOutcome>
            {
                FailureRatio = _options.Breaker.FailureRatio,
                MinimumThroughput = _options.Breaker.MinimumThroughput,
                SamplingDuration = _options.Breaker.SamplingDuration,
                BreakDuration = _options.Breaker.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is null
                    && args.Outcome.Result is AttemptOutcome.RetryableStatus or AttemptOutcome.ConnectFailure or AttemptOutcome.TimedOut),
            })
            .Build();
    }
}
