using System.Collections.Concurrent;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>This front's lease holders, one per key it has seen recently.</summary>
public sealed class LeaseBook(IGrainFactory grains, IOptions<AdmissionOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, KeyLeaseHolder> _holders = new(StringComparer.Ordinal);
    private readonly AdmissionOptions _options = options.Value;

    /// <summary>Identifies this front to the grains (one process, one id).</summary>
    public string FrontId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public async ValueTask<Admission> AdmitAsync(KeyDescriptor key, long inputTokens, long outputTokens, bool stream = false, decimal worstUsd = 0)
    {
        while (true)
        {
            var holder = _holders.GetOrAdd(key.KeyId, static (id, book) => new KeyLeaseHolder(id, book.FrontId, book.Grains, book._options, book.Time), this);
            var admission = await holder.AdmitAsync(key, inputTokens, outputTokens, stream, worstUsd);
            if (!admission.Retired)
            {
                return admission;
            }
            // Retired between the lookup and the call: the sweep removes it (if it has not yet), the next lookup makes a new one.
            _holders.TryRemove(new KeyValuePair<string, KeyLeaseHolder>(key.KeyId, holder));
        }
    }

    private IGrainFactory Grains => grains;
    private TimeProvider Time => time;

    /// <summary>Returns expired slices and forgets keys unused for minutes.</summary>
    public async Task SweepAsync()
    {
        foreach (var (id, holder) in _holders)
        {
            try
            {
                await holder.ReturnIfExpiredAsync();
                await holder.KeepStreamShareAsync();
            }
            catch (Exception)
            {
                // Not returned: the grain's bucket refills anyway; nothing is over-admitted.
            }
            // Retired under its own lock, so no request takes a slice from it afterwards (the clock read now, not before
            // the calls above: a holder made while they ran is not idle).
            if (holder.TryRetire(time.GetUtcNow()))
            {
                _holders.TryRemove(new KeyValuePair<string, KeyLeaseHolder>(id, holder));
            }
        }
    }
}
