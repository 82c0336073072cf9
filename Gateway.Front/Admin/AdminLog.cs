namespace Gateway.Front.Admin;

/// <summary>Source-generated log methods of the admin API. Never logs a secret or a token.</summary>
internal static partial class AdminLog
{
    /// <summary>The category of the admin API's change log (who changed which team or key).</summary>
    public const string Category = "Gateway.Front.Admin";

    [LoggerMessage(1, LogLevel.Information, "Admin API disabled: {Setting} is not set, /admin answers 404")]
    public static partial void Disabled(ILogger logger, string setting);

    [LoggerMessage(2, LogLevel.Information, "Admin API enabled at /admin")]
    public static partial void Enabled(ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "Admin: {Action} {Id}")]
    public static partial void Changed(ILogger logger, string action, string id);

    [LoggerMessage(4, LogLevel.Warning, "Admin: the cluster did not acknowledge the change of key {KeyId}; it applies when its caches expire")]
    public static partial void NotifyFailed(ILogger logger, string keyId, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "Admin: rejected request from {Remote}: {Reason}")]
    public static partial void Rejected(ILogger logger, string? remote, string reason);
}
