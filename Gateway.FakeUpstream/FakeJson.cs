using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary>
/// Writer options for every JSON the fake produces. The relaxed encoder writes <c>'</c> and non-ASCII
/// text as UTF-8 like the real API instead of <c>\u0027</c> escapes, so byte comparisons and log
/// reading stay natural. Safe here: nothing the fake writes is embedded in HTML.
/// </summary>
internal static class FakeJson
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
