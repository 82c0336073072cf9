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

    public ValueTask<Admission> AdmitAsync(KeyDescriptor key, long inputTokens, long outputTokens, bool stream = false, decimal worstUsd = 0) =>
        _holders.GetOrAdd(key.KeyId, static (id, book) => new KeyLeaseHolder(id, book.FrontId, book.Grains, book._options, book.Time), this)
            .AdmitAsync(key, inputTokens, outputTokens, stream, worstUsd);

    private IGrainFactory Grains => grains;
    private TimeProvider Time => time;

    /// <summary>Returns expired slices and forgets keys unused for minutes.</summary>
    public async Task SweepAsync()
    {
        var now = time.GetUtcNow();
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
            if (holder.IsIdle(now))
            {
                _holders.TryRemove(id, out _);
            }
        }
    }
}
