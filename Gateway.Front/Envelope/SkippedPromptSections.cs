using System.Text.Json;

namespace Gateway.Front.Envelope;

/// <summary>No reader rides on the envelope pass: every section is skipped.</summary>
public struct SkippedPromptSections : IPromptSections
{
    public readonly void Read(PromptSection section, ref Utf8JsonReader reader) => reader.Skip();

    public readonly void Abandon()
    {
    }
}
