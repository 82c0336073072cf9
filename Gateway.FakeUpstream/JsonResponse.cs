namespace Gateway.FakeUpstream;

/// <summary>Writes a fully built JSON body with a Content-Length, as the real API does for non-streaming replies.</summary>
internal static class JsonResponse
{
    public static async Task WriteAsync(HttpContext ctx, int status, ReadOnlyMemory<byte> body)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return;
        }
        await response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    /// <summary>
    /// A 200 reply that a mid-stream fault may spoil. Non-streaming replies have no "mid-stream", so:
    /// <c>reset-mid-stream</c> sends the headers and half the body then aborts (a truncated body), and
    /// <c>error-mid-stream</c> becomes what the real API answers when overloaded mid-generation, a 529;
    /// <c>stall-mid-stream</c> sends the headers and half the body, then nothing more.
    /// </summary>
    public static async Task WriteReplyAsync(HttpContext ctx, ReadOnlyMemory<byte> body, FaultPlan fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.ErrorMidStream:
                await AnthropicErrors.WriteAsync(ctx, 529, "Overloaded");
                return;
            case FaultKind.StallMidStream:
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                ctx.Response.ContentLength = body.Length;
                await ctx.Response.Body.WriteAsync(body[..(body.Length / 2)], ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                return;
            case FaultKind.ResetMidStream:
                var response = ctx.Response;
                response.StatusCode = 200;
                response.ContentType = "application/json";
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body[..(body.Length / 2)], ctx.RequestAborted);
                await response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(FaultPlan.DrainBeforeResetMs, ctx.RequestAborted);
                SelfAbort.Abort(ctx);
                return;
            default:
                await WriteAsync(ctx, 200, body);
                return;
        }
    }
}
