namespace Gateway.Front.Envelope;

/// <summary>
/// A prompt-section reader met valid JSON it cannot read (a name or value holding a lone surrogate escape): the
/// envelope pass starts again without it, so the body is judged exactly as it would be without a planner.
/// </summary>
public sealed class PromptSectionsException(Exception inner) : Exception("The prompt sections could not be read.", inner);
