using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Front.Envelope;

namespace Gateway.Front.OpenAi;

/// <summary>
/// Writer options for the translated bodies: non-ASCII text stays UTF-8 rather than <c>\uXXXX</c>
/// escapes (smaller bodies, the same JSON; base64 image data keeps its <c>+</c>). Safe: these bodies go
/// to API clients, never into HTML.
/// </summary>
internal static class OpenAiJson
{
    /// <summary>For what the provider writes (Chat requests to the upstream, Messages answers from it).</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };

    /// <summary>For what the surface writes; its depth follows the envelope's bound on the client's request.</summary>
    public static readonly JsonWriterOptions SurfaceWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = EnvelopeReader.MaxDepth + 8,
    };
}
