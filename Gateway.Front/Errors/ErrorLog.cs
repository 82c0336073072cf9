namespace Gateway.Front.Errors;

internal static partial class ErrorLog
{
    [LoggerMessage(1, LogLevel.Error, "Unhandled exception in {Method} {Path}; answered 500 api_error")]
    public static partial void Unhandled(ILogger logger, string method, string path, Exception exception);
}
