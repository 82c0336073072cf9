namespace Gateway.Front.Streaming;

/// <summary>Observes response bytes as they pass to the client. Must never block or alter them.</summary>
public interface IResponseTap : IDisposable
{
    void Observe(ReadOnlySpan<byte> chunk);

    /// <summary>The upstream body ended (normally or not; <see cref="ObservedUsage.Completed"/> tells).</summary>
    void Complete();

    ObservedUsage Usage { get; }
}
