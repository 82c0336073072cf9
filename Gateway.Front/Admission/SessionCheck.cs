using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>
/// Asks a session's grain whether the session may go on (its request and cost limits), bounded like the
/// key's lease calls: a silo that was just killed would otherwise hold the request for Orleans' 30 s
/// response timeout. One call per request for keys with session limits (the grain also claims the
/// session for its first key here, which is what keeps a forged session id out of another's totals).
/// </summary>
public sealed class SessionCheck(IGrainFactory grains, IOptions<AdmissionOptions> options)
{
    private readonly AdmissionOptions _options = options.Value;

    /// <summary>Null: the session may go on. Throws when the grain cannot be reached within the attempts.</summary>
    public async ValueTask<LeaseDenial?> AdmitAsync(string sessionId, string keyId, SessionLimits limits)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await grains.GetGrain<ISessionGrain>(sessionId).AdmitAsync(keyId, limits).WaitAsync(_options.GrainCallTimeout);
            }
            catch (Exception) when (attempt < _options.GrainCallAttempts)
            {
                // A silo may be moving the grain; the next attempt reaches the new activation.
            }
        }
    }
}
