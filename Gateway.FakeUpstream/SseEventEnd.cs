using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>The end of one SSE event, shared by the Anthropic and OpenAI reply writers.</summary>
internal static class SseEventEnd
{
    /// <summary>
    /// Completes the event's JSON, ends it with a blank line and flushes it on its own (one chunk per event);
    /// throws once the client has gone, so the writer stops.
    /// </summary>
    public static async ValueTask WriteAsync(Utf8JsonWriter json, PipeWriter pipe, CancellationToken cancellationToken)
    {
        json.Flush();
        pipe.Write("\n\n"u8);
        var result = await pipe.FlushAsync(cancellationToken);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
