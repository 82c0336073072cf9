using Gateway.Front.Envelope;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>Pass-through mode: no keys, so no buckets or budgets; every request is admitted with nothing reserved.</summary>
public sealed class PassThroughAdmission(IOptions<AdmissionOptions> options) : IRequestAdmission
{
    private readonly double _bytesPerToken = options.Value.BytesPerInputToken;

    public long EstimateInputTokens(int bodyBytes) => (long)Math.Ceiling(bodyBytes / _bytesPerToken);

    public ValueTask<(bool Admitted, Reservation? Reservation)> AdmitMessagesAsync(HttpContext context, KeyDescriptor? key,
        RequestEnvelope envelope, RequestBody body, bool reservesTokens) => new((true, null));

    public ValueTask<bool> AdmitRequestAsync(HttpContext context, KeyDescriptor? key) => ValueTask.FromResult(true);
}
