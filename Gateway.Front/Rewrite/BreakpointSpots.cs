namespace Gateway.Front.Rewrite;

/// <summary>Where the gateway may add a cache breakpoint, in priority order.</summary>
[Flags]
public enum BreakpointSpots : byte
{
    None = 0,

    /// <summary>The last tool definition (the last one without <c>defer_loading: true</c>).</summary>
    Tools = 1,

    /// <summary>The last system block; a string <c>system</c> becomes one text block.</summary>
    System = 2,

    /// <summary>The last content block of the latest user message, when the conversation is multi-turn.</summary>
    LatestUserTurn = 4,
}
