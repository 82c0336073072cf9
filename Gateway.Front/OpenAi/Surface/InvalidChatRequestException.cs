namespace Gateway.Front.OpenAi.Surface;

/// <summary>Raised inside the translation and turned into a <see cref="ChatRequestError"/> at its edge.</summary>
internal sealed class InvalidChatRequestException(string message, string? param) : Exception(message)
{
    public string? Param { get; } = param;
}
