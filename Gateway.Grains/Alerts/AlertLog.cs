using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Alerts;

/// <summary>Source-generated log methods of budget alerts. Never logs a webhook URL (Slack's carry their secret in the path): only its host.</summary>
internal static partial class AlertLog
{
    [LoggerMessage(1, LogLevel.Information, "Budget alerts: evaluating every {Interval} on this silo")]
    public static partial void Started(ILogger logger, TimeSpan interval);

    [LoggerMessage(2, LogLevel.Information, "Budget alerts off: {Reason}")]
    public static partial void Off(ILogger logger, string reason);

    [LoggerMessage(3, LogLevel.Information, "Budget alert: rule {RuleId} crossed {Threshold}% for {Scope} {TargetId}")]
    public static partial void Crossed(ILogger logger, string ruleId, int threshold, string scope, string targetId);

    [LoggerMessage(4, LogLevel.Information, "Budget alert delivered: rule {RuleId}, {Threshold}%, to {Host} after {Attempts} attempt(s)")]
    public static partial void Delivered(ILogger logger, string ruleId, int threshold, string host, int attempts);

    [LoggerMessage(5, LogLevel.Warning, "Budget alert not delivered: rule {RuleId}, {Threshold}%, to {Host}, attempt {Attempts}: {Error}; next attempt {Next}")]
    public static partial void DeliveryFailed(ILogger logger, string ruleId, int threshold, string host, int attempts, string error, DateTimeOffset? next);

    [LoggerMessage(6, LogLevel.Error, "Budget alert abandoned: rule {RuleId}, {Threshold}%, after {Attempts} attempt(s): {Error}")]
    public static partial void Abandoned(ILogger logger, string ruleId, int threshold, int attempts, string error);

    [LoggerMessage(7, LogLevel.Warning, "Budget alerts: a round failed; the next one retries")]
    public static partial void RoundFailed(ILogger logger, Exception exception);
}
