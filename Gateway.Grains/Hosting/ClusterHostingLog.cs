using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Hosting;

internal static partial class ClusterHostingLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Silo {Silo} is active in the cluster")]
    public static partial void SiloActive(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Silo {Silo} is shutting down: not ready")]
    public static partial void SiloStopping(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Cluster client connected ({Gateways} gateway connections)")]
    public static partial void ClientConnected(ILogger logger, int gateways);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Cluster connection lost: no gateway connection is open; retrying from the membership table")]
    public static partial void ClusterConnectionLost(ILogger logger);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Cluster connection recovered ({Gateways} gateway connections)")]
    public static partial void ClusterConnectionRecovered(ILogger logger, int gateways);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning,
        Message = "Cluster not reachable yet (attempt {Attempt}, retrying in {DelaySeconds:0.0} s): {ErrorType}: {Error}")]
    public static partial void ConnectionAttemptFailed(ILogger logger, int attempt, double delaySeconds, string errorType, string error);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug, Message = "Reconnect probe failed")]
    public static partial void ReconnectProbeFailed(ILogger logger, Exception error);
}
