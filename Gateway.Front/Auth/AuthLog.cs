namespace Gateway.Front.Auth;

internal static partial class AuthLog
{
    [LoggerMessage(1, LogLevel.Warning, "In-memory key store: created local development key {KeyId} from Auth:LocalDevSecret (not for production)")]
    public static partial void LocalKeyCreated(ILogger logger, string keyId);
}
