using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>
/// Writer options for the translated bodies: non-ASCII text stays UTF-8 rather than <c>\uXXXX</c>
/// escapes (smaller bodies, the same JSON). Safe: these bodies go to API clients, never into HTML.
/// </summary>
internal static class OpenAiJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = false };
}
