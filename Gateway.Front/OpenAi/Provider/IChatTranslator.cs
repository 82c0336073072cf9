using System.Buffers;

namespace Gateway.Front.OpenAi.Provider;

/// <summary>Turns an OpenAI-compatible response body into Anthropic's, pushed chunk by chunk as it arrives.</summary>
internal interface IChatTranslator : IDisposable
{
    /// <summary>Translates what it can of <paramref name="chunk"/> into <paramref name="output"/> at once.</summary>
    void Feed(ReadOnlySpan<byte> chunk, IBufferWriter<byte> output);

    /// <summary>The upstream body ended cleanly: write whatever is still owed.</summary>
    void Finish(IBufferWriter<byte> output);
}
