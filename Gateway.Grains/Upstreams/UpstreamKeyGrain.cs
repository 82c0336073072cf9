using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Upstreams;

/// <summary>
/// The cluster's shared view of one upstream credential. Soft state, deliberately not persisted:
/// after a silo loss the next responses' headers rebuild it within a second, and a lost cool-down
/// costs at most one more 429 per front.
/// </summary>
public sealed class UpstreamKeyGrain : Grain, IUpstreamKeyGrain
{
    private UpstreamKeyState _state = UpstreamKeyState.Empty;

    public Task<UpstreamKeyState> ReportAsync(UpstreamKeyState observation)
    {
        _state = _state.Merge(observation);
        return Task.FromResult(_state);
    }

    public Task<UpstreamKeyState> GetAsync() => Task.FromResult(_state);
}
