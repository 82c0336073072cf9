using System.Threading.Channels;

namespace Gateway.Front.Upstreams;

/// <summary>
/// Wakes <see cref="UpstreamKeySync"/> before its next tick. A 429's cool-down is news every other front
/// needs now: waiting for the tick lets each of them spend a request on the spent key first. Nudges
/// while a round is pending collapse into that round.
/// </summary>
public sealed class UpstreamSyncNudge
{
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Nudge() => _signal.Writer.TryWrite(true);

    /// <summary>Until a nudge or <paramref name="timeout"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_signal.Reader.TryRead(out _))
        {
            return;
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(timeout);
        try
        {
            await _signal.Reader.WaitToReadAsync(wait.Token);
            _signal.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The tick: a round without a nudge.
        }
    }
}
