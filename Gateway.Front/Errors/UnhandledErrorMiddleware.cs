namespace Gateway.Front.Errors;

/// <summary>
/// The last line: an exception no endpoint handled becomes a 500 <c>api_error</c> in Anthropic's shape (with
/// a <c>request-id</c>) instead of Kestrel's bare 500, and is logged; clients and SDKs then see an error they
/// know how to read and retry. A response already started cannot be changed: the connection is cut, as before.
/// </summary>
public static class UnhandledErrorMiddleware
{
    public const string LogCategory = "Gateway.Front.Errors";

    public static IApplicationBuilder UseAnthropicErrorsForUnhandledExceptions(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                ErrorLog.Unhandled(logger, context.Request.Method, context.Request.Path.Value ?? "", e);
                await GatewayError.WriteAsync(context, StatusCodes.Status500InternalServerError, AnthropicErrorTypes.Api,
                    "The gateway failed to handle this request; retry shortly.", shouldRetry: true);
            }
        });
    }
}
