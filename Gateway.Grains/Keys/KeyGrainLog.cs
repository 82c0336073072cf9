using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Keys;

internal static partial class KeyGrainLog
{
    [LoggerMessage(1, LogLevel.Warning, "Saving bucket levels of key {KeyId} failed; will retry")]
    public static partial void BucketSaveFailed(ILogger logger, string keyId, Exception exception);
}
