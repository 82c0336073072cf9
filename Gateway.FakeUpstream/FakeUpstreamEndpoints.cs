namespace Gateway.FakeUpstream;

/// <summary>
/// Maps the Anthropic-like routes. Routes take any method and check it themselves so a wrong
/// method still gets a recorded request and an Anthropic-shaped error; everything unknown falls
/// through to a 404 <c>not_found_error</c>.
/// </summary>
internal sealed class FakeUpstreamEndpoints
{
    private readonly FakeUpstreamState _state;
    private readonly CancellationToken _stopping;
    private readonly RequestPipeline _pipeline;
    private readonly MessagesEndpoint _messages;
    private readonly OpenAi.ChatCompletionsEndpoint _chat;
    private readonly BatchesEndpoint _batches;
    private readonly Bedrock.BedrockInvokeEndpoint _bedrock;

    private FakeUpstreamEndpoints(FakeUpstreamState state, CancellationToken stopping)
    {
        _state = state;
        _stopping = stopping;
        _pipeline = new RequestPipeline(state, stopping);
        _messages = new MessagesEndpoint(state);
        _chat = new OpenAi.ChatCompletionsEndpoint(state);
        _batches = new BatchesEndpoint(state);
        _bedrock = new Bedrock.BedrockInvokeEndpoint(state, _messages);
    }

    public static void Map(WebApplication app, FakeUpstreamState state)
    {
        var endpoints = new FakeUpstreamEndpoints(state, app.Lifetime.ApplicationStopping);
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], endpoints.Guard(endpoints.RootAsync));
        app.Map("/v1/messages", endpoints.Guard(endpoints.MessagesAsync));
        app.Map("/v1/messages/count_tokens", endpoints.Guard(endpoints.CountTokensAsync));
        app.Map("/v1/chat/completions", endpoints.Guard(endpoints.ChatCompletionsAsync));
        app.Map("/v1/messages/batches", endpoints.Guard(endpoints.BatchesAsync));
        app.Map("/v1/messages/batches/{id}", endpoints.Guard(endpoints.BatchAsync));
        app.Map("/v1/messages/batches/{id}/results", endpoints.Guard(endpoints.BatchResultsAsync));
        app.Map("/v1/messages/batches/{id}/cancel", endpoints.Guard(endpoints.CancelBatchAsync));
        app.Map("/v1/models", endpoints.Guard(endpoints.ListModelsAsync));
        app.Map("/v1/models/{id}", endpoints.Guard(endpoints.GetModelAsync));
        var vertex = new Vertex.VertexEndpoint(state, endpoints._pipeline, endpoints._messages);
        app.Map(Vertex.VertexEndpoint.Route, endpoints.Guard(vertex.HandleAsync));
        app.MapPost(Vertex.GoogleTokenEndpoint.Path, endpoints.Guard(ctx => Vertex.GoogleTokenEndpoint.HandleAsync(ctx, state)));
        app.Map("/model/{modelId}/invoke", endpoints.Guard(ctx => endpoints.BedrockAsync(ctx, stream: false)));
        app.Map("/model/{modelId}/invoke-with-response-stream", endpoints.Guard(ctx => endpoints.BedrockAsync(ctx, stream: true)));
        FakeControlEndpoints.Map(app, state);
        // An explicit pattern: the default fallback pattern skips paths that look like files.
        app.MapFallback("{**path}", endpoints.Guard(endpoints.NotFoundAsync));
    }

    /// <summary>
    /// Wraps a handler so a client that leaves mid-answer ends it quietly (no unhandled-exception
    /// noise) and is counted in <see cref="FakeUpstreamState.AbortedRequests"/>.
    /// </summary>
    private RequestDelegate Guard(RequestDelegate handler) => async ctx =>
    {
        try
        {
            await handler(ctx);
        }
        catch (Exception e) when (e is (OperationCanceledException or IOException) && ctx.RequestAborted.IsCancellationRequested)
        {
            // Counted only when the client cut an unfinished answer: a request that completed never
            // gets here, and the fake's own resets and server shutdown are not the client's doing.
            if (!SelfAbort.WasSelfAborted(ctx) && !_stopping.IsCancellationRequested)
            {
                _state.CountAborted();
            }
        }
    };

    /// <summary>Claude Code probes the base URL with <c>HEAD /</c> at start: answer at once.</summary>
    private async Task RootAsync(HttpContext ctx)
    {
        if (await _pipeline.BeginAsync(ctx, authenticate: false) is null)
        {
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        if (HttpMethods.IsGet(ctx.Request.Method))
        {
            await ctx.Response.WriteAsync("fake anthropic upstream\n", ctx.RequestAborted);
        }
    }

    private async Task MessagesAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Post) is { } admitted)
        {
            await _messages.CreateAsync(ctx, admitted);
        }
    }

    /// <summary>The OpenAI-compatible endpoint: OpenAI's errors, rate-limit headers and Bearer authentication.</summary>
    private async Task ChatCompletionsAsync(HttpContext ctx)
    {
        if (await _pipeline.BeginAsync(ctx, authenticate: false, WireDialect.OpenAi) is not { } admitted)
        {
            return;
        }
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            ctx.Response.Headers.Allow = HttpMethods.Post;
            await OpenAi.OpenAiErrors.WriteAsync(ctx, 405, "Method Not Allowed");
            return;
        }
        await _chat.CreateAsync(ctx, admitted);
    }

    /// <summary>The fake Bedrock runtime: Bedrock's errors, its own authentication (SigV4 or a bearer API key).</summary>
    private async Task BedrockAsync(HttpContext ctx, bool stream)
    {
        if (await _pipeline.BeginAsync(ctx, authenticate: false, WireDialect.Bedrock) is not { } admitted)
        {
            return;
        }
        if (!HttpMethods.IsPost(ctx.Request.Method))
        {
            await Bedrock.BedrockErrors.WriteAsync(ctx, 405, "UnknownOperationException", "Method Not Allowed");
            return;
        }
        await _bedrock.InvokeAsync(ctx, admitted, (string)ctx.Request.RouteValues["modelId"]!, stream);
    }

    private async Task CountTokensAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Post) is { } admitted)
        {
            await MessagesEndpoint.CountTokensAsync(ctx, admitted);
        }
    }

    /// <summary><c>POST</c> creates a batch, <c>GET</c> lists the key's batches.</summary>
    private async Task BatchesAsync(HttpContext ctx)
    {
        var method = HttpMethods.IsGet(ctx.Request.Method) ? HttpMethods.Get : HttpMethods.Post;
        if (await BeginAsync(ctx, method) is not { } admitted)
        {
            return;
        }
        await (method == HttpMethods.Get ? _batches.ListAsync(ctx, admitted) : _batches.CreateAsync(ctx, admitted));
    }

    /// <summary><c>GET</c> retrieves a batch, <c>DELETE</c> deletes an ended one.</summary>
    private async Task BatchAsync(HttpContext ctx)
    {
        var method = HttpMethods.IsDelete(ctx.Request.Method) ? HttpMethods.Delete : HttpMethods.Get;
        if (await BeginAsync(ctx, method) is not { } admitted)
        {
            return;
        }
        var id = (string)ctx.Request.RouteValues["id"]!;
        await (method == HttpMethods.Get ? _batches.RetrieveAsync(ctx, admitted, id) : _batches.DeleteAsync(ctx, admitted, id));
    }

    private async Task BatchResultsAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Get) is { } admitted)
        {
            await _batches.ResultsAsync(ctx, admitted, (string)ctx.Request.RouteValues["id"]!);
        }
    }

    private async Task CancelBatchAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Post) is { } admitted)
        {
            await _batches.CancelAsync(ctx, admitted, (string)ctx.Request.RouteValues["id"]!);
        }
    }

    private async Task ListModelsAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Get) is { } admitted)
        {
            await ModelCatalog.ListAsync(ctx, admitted.Fault);
        }
    }

    private async Task GetModelAsync(HttpContext ctx)
    {
        if (await BeginAsync(ctx, HttpMethods.Get) is { } admitted)
        {
            await ModelCatalog.GetAsync(ctx, (string)ctx.Request.RouteValues["id"]!, admitted.Fault);
        }
    }

    private async Task NotFoundAsync(HttpContext ctx)
    {
        if (await _pipeline.BeginAsync(ctx, authenticate: false) is not null)
        {
            await AnthropicErrors.WriteAsync(ctx, 404, "Not Found");
        }
    }

    /// <summary>The common prologue, then a 405 when the method is not the route's.</summary>
    private async Task<AdmittedRequest?> BeginAsync(HttpContext ctx, string method)
    {
        var admitted = await _pipeline.BeginAsync(ctx, authenticate: true);
        if (admitted is not null && !HttpMethods.Equals(ctx.Request.Method, method))
        {
            ctx.Response.Headers.Allow = method;
            await AnthropicErrors.WriteAsync(ctx, 405, "invalid_request_error", "Method Not Allowed");
            return null;
        }
        return admitted;
    }
}
