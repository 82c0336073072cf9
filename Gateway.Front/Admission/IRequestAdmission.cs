using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>
/// Whether a key may send this request now: a refusal is written to the client by the step itself. Pass-through
/// mode (no keys, nothing to meter) registers <see cref="PassThroughAdmission"/>.
/// </summary>
public interface IRequestAdmission
{
    /// <summary>Input tokens estimated from the body size (Admission:BytesPerInputToken); settlement corrects it with the real count.</summary>
    long EstimateInputTokens(int bodyBytes);

    /// <summary>
    /// Admits a Messages call. With <paramref name="reservesTokens"/> its tokens and worst-case cost are reserved and
    /// the returned reservation is settled when it ends; without (count_tokens) it costs one request of the key's
    /// bucket and is never charged (no reservation). False once the refusal is written.
    /// </summary>
    ValueTask<(bool Admitted, Reservation? Reservation)> AdmitMessagesAsync(HttpContext context, KeyDescriptor? key, RequestEnvelope envelope,
        RequestBody body, bool reservesTokens);

    /// <summary>Admits a call that costs one request and nothing else (model listing); false once the refusal is written.</summary>
    ValueTask<bool> AdmitRequestAsync(HttpContext context, KeyDescriptor? key);
}
