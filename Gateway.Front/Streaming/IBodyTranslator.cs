using System.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>Rewrites a response body pushed chunk by chunk as it arrives (e.g. an OpenAI-compatible body into Anthropic's).</summary>
internal interface IBodyTranslator : IDisposable
{
    /// <summary>Translates what it can of <paramref name="chunk"/> into <paramref name="output"/> at once.</summary>
    void Feed(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output);

    /// <summary>The upstream body ended cleanly: write whatever is still owed.</summary>
    void Finish(IBufferWriter<byte> output);
}
