using System.Text.Json;

namespace Gateway.Front.OpenAi.Surface;

/// <summary>
/// Opens a Messages turn lazily, at its first block, and keeps adding to it while the role stays the
/// same: Messages wants user and assistant turns to alternate, Chat Completions does not.
/// </summary>
internal sealed class MessagesTurnWriter(Utf8JsonWriter writer)
{
    private string? _role;

    public bool Any { get; private set; }

    public Utf8JsonWriter Block(string role)
    {
        if (_role != role)
        {
            Close();
            writer.WriteStartObject();
            writer.WriteString("role"u8, role);
            writer.WriteStartArray("content"u8);
            _role = role;
            Any = true;
        }
        return writer;
    }

    public void Close()
    {
        if (_role is not null)
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
            _role = null;
        }
    }
}
