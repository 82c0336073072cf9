using System.Globalization;

namespace Gateway.FakeUpstream;

/// <summary>
/// A parsed fault spec. A spec is one name or several joined by commas (the same syntax headers use
/// when repeated), e.g. <c>slow-first-byte:300,529</c>: at most one delay plus one behaviour.
/// Names: an HTTP status among <see cref="AnthropicErrors"/>' table (429, 500, 503, 529, ...),
/// <c>slow-first-byte:&lt;ms&gt;</c>, <c>reset</c>, <c>reset-mid-stream</c>, <c>error-mid-stream</c>,
/// <c>hang</c>, <c>stall-mid-stream</c>, <c>trickle:&lt;ms&gt;</c> (the reply body written one byte at a
/// time, <c>ms</c> apart: a slow-loris upstream), <c>429-room</c> (a 429 whose rate-limit headers show the
/// key's buckets with room left, as for one request over an input-token limit), and <c>none</c> (explicitly no fault, which also skips the queue).
/// </summary>
public readonly record struct FaultPlan(FaultKind Kind, int StatusCode, int FirstByteDelayMs)
{
    public const string SlowFirstBytePrefix = "slow-first-byte:";

    public const string TricklePrefix = "trickle:";

    /// <summary>
    /// Delay between two bytes of the reply body; null: written normally, 0: a byte per write with no pause
    /// (the most chunks, no waiting). Combines with any behaviour.
    /// </summary>
    public int? TrickleDelayMs { get; init; }

    /// <summary>A 429 fault whose headers show room left in every bucket (the request alone was too big).</summary>
    public bool RoomLeft { get; init; }

    public static FaultPlan None => default;

    /// <summary>
    /// How long a mid-stream reset waits after its last flush before aborting. Kestrel's abort drops
    /// output not yet handed to the socket, so without this pause the client could see the reset
    /// before the events it is meant to have received.
    /// </summary>
    public const int DrainBeforeResetMs = 100;

    public bool IsNone => Kind == FaultKind.None && FirstByteDelayMs == 0 && TrickleDelayMs is null;

    public static bool TryParse(string? spec, out FaultPlan plan, out string? error)
    {
        plan = default;
        error = null;
        if (string.IsNullOrWhiteSpace(spec))
        {
            error = "empty fault";
            return false;
        }

        var kind = FaultKind.None;
        var status = 0;
        var delay = 0;
        int? trickle = null;
        var roomLeft = false;
        foreach (var raw in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = raw.ToLowerInvariant();
            FaultKind next;
            var nextStatus = 0;
            if (name.StartsWith(SlowFirstBytePrefix, StringComparison.Ordinal))
            {
                if (!int.TryParse(name.AsSpan(SlowFirstBytePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out delay))
                {
                    error = $"bad delay in fault '{raw}'";
                    return false;
                }
                continue;
            }
            if (name.StartsWith(TricklePrefix, StringComparison.Ordinal))
            {
                if (!int.TryParse(name.AsSpan(TricklePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pause))
                {
                    error = $"bad delay in fault '{raw}'";
                    return false;
                }
                trickle = pause;
                continue;
            }

            switch (name)
            {
                case "none": continue;
                case "reset": next = FaultKind.Reset; break;
                case "hang": next = FaultKind.Hang; break;
                case "reset-mid-stream": next = FaultKind.ResetMidStream; break;
                case "error-mid-stream": next = FaultKind.ErrorMidStream; break;
                case "stall-mid-stream": next = FaultKind.StallMidStream; break;
                case "429-room": next = FaultKind.Status; nextStatus = 429; roomLeft = true; break;
                default:
                    if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out nextStatus)
                        && AnthropicErrors.IsKnownStatus(nextStatus))
                    {
                        next = FaultKind.Status;
                        break;
                    }
                    error = $"unknown fault '{raw}'";
                    return false;
            }

            if (kind != FaultKind.None)
            {
                error = $"fault '{spec}' names more than one behaviour";
                return false;
            }
            kind = next;
            status = nextStatus;
        }

        plan = new FaultPlan(kind, status, delay) { TrickleDelayMs = trickle, RoomLeft = roomLeft };
        return true;
    }
}
