using System.Text.Json;

namespace Gateway.Front.Envelope;

/// <summary>
/// A reader of the prompt sections that rides on the envelope's pass (<see cref="EnvelopeReader.TryRead{TSections}"/>),
/// so a body that is also planned for cache breakpoints is walked once instead of twice: the envelope pass was
/// skipping these values token by token anyway, and they are nearly all of a Claude Code body (docs/performance.md).
/// A struct, so the generic pass calls it without boxing or virtual dispatch.
/// </summary>
public interface IPromptSections
{
    /// <summary>
    /// Reads (or skips) the value of a top-level <paramref name="section"/>: the reader is on the value's first
    /// token on entry and must be on its last on return, exactly where <see cref="Utf8JsonReader.Skip"/> leaves it.
    /// Throws <see cref="PromptSectionsException"/> for a value it cannot read that is still valid JSON; the envelope
    /// pass then runs again without it.
    /// </summary>
    void Read(PromptSection section, ref Utf8JsonReader reader);

    /// <summary>Forget what was read: the pass is starting again without this reader (or starting over).</summary>
    void Abandon();
}
