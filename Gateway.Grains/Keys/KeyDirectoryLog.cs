using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Keys;

internal static partial class KeyDirectoryLog
{
    [LoggerMessage(1, LogLevel.Warning, "Re-reading key {KeyRef} from the store failed; its last copy stays in use until the next try")]
    public static partial void RecheckFailed(ILogger logger, string keyRef, Exception exception);
}
