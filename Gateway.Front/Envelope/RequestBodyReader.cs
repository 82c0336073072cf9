using Gateway.Front.Errors;
using Gateway.Front.Metrics;

namespace Gateway.Front.Envelope;

/// <summary>
/// Reads a client's body for an endpoint, answering the refusals itself in Anthropic's shape, so every
/// endpoint that takes a body refuses the same way.
/// </summary>
public static class RequestBodyReader
{
    /// <summary>
    /// The body, or null once the client has been answered: 413 past <paramref name="limit"/>, Kestrel's
    /// status (408 too slow, 400 cut short or bad chunking) when it refused the body mid-read, nothing when
    /// the client went away.
    /// </summary>
    public static async ValueTask<RequestBody?> ReadOrRefuseAsync(HttpContext context, long limit)
    {
        RequestBody? body;
        try
        {
            body = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null;
        }
        catch (BadHttpRequestException e)
        {
            // Without this the client got Kestrel's bare status with an empty body instead of Anthropic's shape.
            FrontMetrics.Rejected("bad_body");
            await GatewayError.WriteAsync(context, e.StatusCode, AnthropicErrorTypes.InvalidRequest, $"The request body could not be read: {e.Message}");
            return null;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return null;
        }
        if (body is null)
        {
            FrontMetrics.Rejected("too_large");
            await GatewayError.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, AnthropicErrorTypes.RequestTooLarge,
                $"Request exceeds the maximum allowed number of bytes ({limit}).");
        }
        return body;
    }
}
