using Gateway.Front.Upstreams;

namespace Gateway.Front.Forwarding;

/// <summary>Source-generated log methods: no formatting cost on the hot path when the level is off.</summary>
internal static partial class ForwardingLog
{
    [LoggerMessage(1, LogLevel.Warning, "Upstream attempt {Attempt} failed with {Outcome} (status {Status}); retrying in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, int attempt, AttemptOutcome outcome, int? status, double delayMs);

    [LoggerMessage(2, LogLevel.Error, "Upstream circuit open: failing fast for {BreakSeconds} s")]
    public static partial void CircuitOpen(ILogger logger, double breakSeconds);

    [LoggerMessage(3, LogLevel.Warning, "Upstream unreachable after {Attempts} attempts: {Error}")]
    public static partial void Unreachable(ILogger logger, int attempts, string error);

    [LoggerMessage(4, LogLevel.Information, "No upstream configured: serving the built-in fake upstream at {Url}")]
    public static partial void UsingFakeUpstream(ILogger logger, Uri url);

    [LoggerMessage(5, LogLevel.Error, "Bedrock provider {Provider}: no AWS credentials could be resolved: {Error}")]
    public static partial void BedrockCredentials(ILogger logger, string provider, string error);
}
