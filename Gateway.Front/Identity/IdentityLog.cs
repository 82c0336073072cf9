namespace Gateway.Front.Identity;

internal static partial class IdentityLog
{
    public const string Category = "Gateway.Front.Identity";

    [LoggerMessage(1, LogLevel.Information, "Sign-in through {Issuer}: user key {KeyId}, team {TeamId}")]
    public static partial void SignedIn(ILogger logger, string issuer, string keyId, string teamId);

    [LoggerMessage(2, LogLevel.Warning, "Sign-in through {Issuer} refused: {User} is in no mapped group")]
    public static partial void NoMappedGroup(ILogger logger, string issuer, string user);

    [LoggerMessage(3, LogLevel.Warning, "Sign-in through {Issuer} refused: the group maps to team '{Team}', which does not exist")]
    public static partial void UnknownTeam(ILogger logger, string issuer, string team);

    [LoggerMessage(4, LogLevel.Warning, "Sign-in through {Issuer} refused: {Error}")]
    public static partial void IdTokenRefused(ILogger logger, string issuer, string error);

    [LoggerMessage(5, LogLevel.Warning, "Identity provider {Issuer} could not be reached or answered badly")]
    public static partial void ProviderFailed(ILogger logger, string issuer, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Sign-in is on: {Count} identity provider(s) ({Names})")]
    public static partial void Enabled(ILogger logger, int count, string names);
}
