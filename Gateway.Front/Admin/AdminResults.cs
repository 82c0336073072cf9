using System.Text.Json.Serialization.Metadata;
using Gateway.Front.Errors;

namespace Gateway.Front.Admin;

/// <summary>Admin responses: JSON through the source-generated context, errors in Anthropic's shape.</summary>
internal static class AdminResults
{
    public static IResult Json<T>(T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK) =>
        TypedResults.Json(value, type, statusCode: status);

    public static IResult BadRequest(string message) =>
        new ErrorResult(StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest, message);

    public static IResult Conflict(string message) =>
        new ErrorResult(StatusCodes.Status409Conflict, AnthropicErrorTypes.InvalidRequest, message);

    public static IResult NotFound(string message) =>
        new ErrorResult(StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound, message);

    public static IResult Forbidden(string message) =>
        new ErrorResult(StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission, message);

    public static IResult Unauthorized(string message) =>
        new ErrorResult(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, message);

    public static IResult TooLarge() =>
        new ErrorResult(StatusCodes.Status413PayloadTooLarge, AnthropicErrorTypes.RequestTooLarge,
            $"Admin request bodies are limited to {AdminRequests.MaxBodyBytes} bytes.");

    /// <summary>500 when the usage database failed to answer <paramref name="what"/> (the cause is in the log, not the answer).</summary>
    public static IResult DatabaseUnavailable(string what) =>
        new ErrorResult(StatusCodes.Status500InternalServerError, AnthropicErrorTypes.Api,
            $"The usage database could not answer {what}; try again shortly (details are in the gateway's log).");

    private sealed class ErrorResult(int status, string type, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => GatewayError.WriteAsync(httpContext, status, type, message);
    }
}
