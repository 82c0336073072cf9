using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>
/// Admits a Messages request for its key: model permission, the key's buckets (through this front's
/// lease), and the session's limits when the key sets any. Writes the rejection itself.
/// </summary>
public sealed class RequestAdmission(LeaseBook leases, SessionCheck sessions, IOptions<AdmissionOptions> options, PriceTable prices,
    Routing.RouteTable routes) : IRequestAdmission
{
    private readonly AdmissionOptions _options = options.Value;

    /// <summary>Input tokens estimated from the body size; settlement corrects it with the real count.</summary>
    public long EstimateInputTokens(int bodyBytes) => (long)Math.Ceiling(bodyBytes / _options.BytesPerInputToken);

    public long ReserveOutputTokens(long? maxTokens) => Math.Min(Math.Max(maxTokens ?? _options.OutputReservationCap, 1), _options.OutputReservationCap);

    /// <summary>
    /// The most a request can cost, held against a budget while it runs: the estimated input and all of
    /// max_tokens (not capped: the upstream may produce them all) — and a context window of input for a body
    /// that pulls input in from elsewhere (<see cref="ExternalInputScan"/>) — at the price of the most expensive model
    /// the request may be served as (its routing rule's aliases and fallbacks; the table's default for a
    /// model it does not know). Zero for keys without a budget: no USD bookkeeping.
    /// </summary>
    public decimal WorstCaseUsd(KeyDescriptor key, RequestEnvelope envelope, long inputTokens, ReadOnlySpan<byte> body)
    {
        if (key.Limits.DailyBudgetUsd is null && key.Limits.MonthlyBudgetUsd is null)
        {
            return 0;
        }
        if (ExternalInputScan.PullsExternalInput(body))
        {
            inputTokens = Math.Max(inputTokens, _options.ExternalInputTokens);
        }
        var outputTokens = Math.Max(envelope.MaxTokens ?? _options.OutputReservationCap, 1);
        return routes.MostExpensive(envelope.Model, key.TeamId, model => prices.Cost(model, inputTokens, outputTokens, 0, 0));
    }

    public async ValueTask<(bool Admitted, Reservation? Reservation)> AdmitMessagesAsync(HttpContext context, KeyDescriptor? key,
        RequestEnvelope envelope, RequestBody body, bool reservesTokens)
    {
        if (key is null)
        {
            return (true, null);
        }
        if (await AdmitAsync(context, key, envelope, Reserve(key, envelope, body, reservesTokens)) is not { } admitted)
        {
            return (false, null);
        }
        // A count is not settled: no charge, no usage on the key.
        return (true, reservesTokens ? admitted : null);
    }

    /// <summary>What a Messages call takes from the key's buckets while it runs: nothing but a request for a count.</summary>
    private Reservation Reserve(KeyDescriptor key, RequestEnvelope envelope, RequestBody body, bool reservesTokens)
    {
        if (!reservesTokens)
        {
            return new Reservation(key.KeyId, 0, 0);
        }
        var input = EstimateInputTokens(envelope.BodyBytes);
        return new Reservation(key.KeyId, input, ReserveOutputTokens(envelope.MaxTokens)) { WorstCaseUsd = WorstCaseUsd(key, envelope, input, body.Span) };
    }

    /// <summary>Admits the request against <paramref name="reservation"/>; null once it has written the refusal.</summary>
    public async ValueTask<Reservation?> AdmitAsync(HttpContext context, KeyDescriptor key, RequestEnvelope envelope, Reservation reservation)
    {
        var (inputTokens, outputTokens) = (reservation.InputTokens, reservation.OutputTokens);
        if (!ModelPattern.AnyMatches(key.AllowedModels, envelope.Model))
        {
            FrontMetrics.Rejected("permission");
            await GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"This API key may not use model '{envelope.Model}'. Allowed: {string.Join(", ", key.AllowedModels)}.");
            return null;
        }

        var admission = await AdmitFromLeaseAsync(context, key, envelope.SessionId, inputTokens, outputTokens, envelope.Stream, reservation.WorstCaseUsd);
        return admission is { } admitted ? reservation with { Budget = admitted.Budget } : null;
    }

    /// <summary>
    /// Admits a call that costs one request and nothing else (model listing): the key's request bucket only,
    /// no tokens, no money; false once it has written the refusal.
    /// </summary>
    public async ValueTask<bool> AdmitRequestAsync(HttpContext context, KeyDescriptor? key) =>
        key is null || await AdmitFromLeaseAsync(context, key, sessionId: null, 0, 0, stream: false, worstCaseUsd: 0) is not null;

    private async ValueTask<Admission?> AdmitFromLeaseAsync(HttpContext context, KeyDescriptor key, string? sessionId, long inputTokens,
        long outputTokens, bool stream, decimal worstCaseUsd)
    {
        Admission admission;
        try
        {
            // The session is asked first, so a refused session costs the key no slot; an admission the session gave a
            // request the key then refuses goes back to the session.
            var sessionLimits = sessionId is not null ? key.SessionLimits : null;
            if (sessionLimits is not null && await sessions.AdmitAsync(sessionId!, key.KeyId, sessionLimits) is { } sessionDenial)
            {
                admission = Admission.Deny(key, null, sessionDenial);
            }
            else
            {
                admission = await leases.AdmitAsync(key, inputTokens, outputTokens, stream, worstCaseUsd);
                if (!admission.Admitted && sessionLimits is not null)
                {
                    sessions.Unused(sessionId!, key.KeyId);
                }
            }
        }
        catch (Exception)
        {
            FrontMetrics.Rejected("unavailable");
            await GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded,
                "The gateway's rate-limit service is unavailable; retry shortly.", TimeSpan.FromSeconds(1), shouldRetry: true);
            return null;
        }
        if (!admission.Admitted)
        {
            await AdmissionRejection.WriteAsync(context, admission);
            return null;
        }
        if (context.Features.Get<TenantResponseHeaders>() is { } tenant)
        {
            // Successful answers carry the key's own figures, as its 429s do.
            tenant.Snapshot = admission.Snapshot;
        }
        if (admission.StreamSlot is { } slot)
        {
            // Freed when the response ends, however it ends.
            context.Response.RegisterForDispose(slot);
        }
        return admission;
    }
}
