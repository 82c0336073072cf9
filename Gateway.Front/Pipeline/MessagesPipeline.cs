using Gateway.Front.Admission;
using Gateway.Front.Auth;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Front.Rewrite;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Pipeline;

/// <summary>
/// The path of every request that ends in a Messages call (<c>/v1/messages</c>, <c>/v1/messages/count_tokens</c>,
/// <c>/v1/chat/completions</c>): the body is read once into a pooled buffer, its envelope checked, and the
/// original (or rewritten) bytes forwarded. Each step is an injected collaborator; pass-through mode (no
/// virtual keys) registers do-nothing ones, so the path reads the same in both modes. What differs between
/// the endpoints is in their <see cref="PipelineEndpoint"/>.
/// </summary>
/// <remarks>
/// The steps, in order, marked <c>// :: Step N</c> in <see cref="RunAsync"/>; a step that refuses the request
/// writes the answer itself and the pipeline stops there:
/// <list type="number">
/// <item>Authenticate the caller (<see cref="ICallerAuthentication"/>): 401, 429 or 503.</item>
/// <item>Read the body once into a pooled buffer (<see cref="RequestBodyReader"/>): 413 over Gateway:MaxRequestBodyBytes.</item>
/// <item>Translate another surface's body into a Messages one (<see cref="PipelineEndpoint.Translate"/>, Chat Completions only).</item>
/// <item>Read the envelope (model, max_tokens, stream, session; <see cref="EnvelopeReader"/>): 400 without one. When step 5
/// may add breakpoints, the planner reads the prompt sections in the same pass, so the body is walked once.</item>
/// <item>Rewrite: add cache breakpoints (<see cref="IRequestRewrite"/>), not for count_tokens.</item>
/// <item>Admit against the key's buckets, budgets and session (<see cref="IRequestAdmission"/>): 403, 429 or 503.</item>
/// <item>Forward upstream, retrying and failing over while the client has seen nothing (<see cref="UpstreamForwarder"/>).</item>
/// <item>Complete, whatever happened in step 7: settle, count toward the session, meter, audit (<see cref="RequestCompletion"/>).</item>
/// </list>
/// </remarks>
public sealed class MessagesPipeline(ICallerAuthentication authentication, IOptions<GatewayOptions> gateway, IRequestRewrite rewrite,
    IRequestAdmission admission, UpstreamForwarder forwarder, RequestCompletion completion)
{
    public const string SessionHeader = "X-Claude-Code-Session-Id";

    private readonly long _maxBodyBytes = gateway.Value.MaxRequestBodyBytes;

    public async Task RunAsync(HttpContext context, PipelineEndpoint endpoint)
    {
        // :: Step 1: authenticate
        var (authenticated, key) = await authentication.AuthenticateAsync(context);
        if (!authenticated)
        {
            return;
        }

        // :: Step 2: read the body
        var body = await RequestBodyReader.ReadOrRefuseAsync(context, _maxBodyBytes);
        if (body is null)
        {
            return;
        }

        // :: Step 3: translate
        if (endpoint.Translate is { } translate)
        {
            RequestBody? translated;
            try
            {
                translated = await translate(context, body);
            }
            finally
            {
                body.Dispose();
            }
            if (translated is null)
            {
                return; // the translation answered the client itself
            }
            body = translated;
        }

        // :: Step 4: read the envelope (and, when step 5 may add breakpoints, the prompt sections in the same pass)
        var policy = CachePolicy.Disabled;
        var planning = endpoint.ReservesTokens && rewrite.Plans(context.Request.Headers, key, body.Length, out policy);
        var sections = planning ? BreakpointPlanner.Sections.Start() : default;
        var envelope = planning ? ReadEnvelope(context, body, ref sections, out var error) : ReadEnvelope(context, body, out error);
        if (envelope is null)
        {
            body.Dispose();
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, error);
            return;
        }

        // :: Step 5: rewrite
        if (planning && rewrite.TryRewrite(body, envelope, policy, ref sections, out var rewritten, out var withBreakpoints))
        {
            // Breakpoints added server-side; the original bytes are released, the rewritten ones forwarded.
            body.Dispose();
            body = rewritten;
            envelope = withBreakpoints;
        }

        using var exchange = new ProxyExchange
        {
            Endpoint = endpoint.Name,
            Body = body,
            Envelope = envelope,
            ReadsMessageLimits = endpoint.ReservesTokens,
            EstimatedInputTokens = admission.EstimateInputTokens(envelope.BodyBytes),
        };

        // :: Step 6: admit
        var (admitted, reservation) = await admission.AdmitMessagesAsync(context, key, envelope, body, endpoint.ReservesTokens);
        if (!admitted)
        {
            return;
        }

        // :: Step 7: forward
        ForwardOutcome? forwarded = null;
        try
        {
            forwarded = await forwarder.ForwardAsync(context, exchange);
        }
        finally
        {
            // :: Step 8: complete (after a throw in step 7 too, with what the exchange had reached)
            await completion.CompleteAsync(context, endpoint.Name, envelope, key, reservation, forwarded ?? exchange.Outcome);
        }
    }

    private static RequestEnvelope? ReadEnvelope(HttpContext context, RequestBody body, out string error)
    {
        var skipped = default(SkippedPromptSections);
        return ReadEnvelope(context, body, ref skipped, out error);
    }

    private static RequestEnvelope? ReadEnvelope<TSections>(HttpContext context, RequestBody body, ref TSections sections, out string error)
        where TSections : struct, IPromptSections
    {
        var session = context.Request.Headers[SessionHeader];
        return EnvelopeReader.TryRead(body.Span, session.Count > 0 ? session[0] : null, ref sections, out var envelope, out error)
            ? envelope
            : null;
    }
}
