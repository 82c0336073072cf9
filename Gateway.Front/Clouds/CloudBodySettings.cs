namespace Gateway.Front.Clouds;

/// <summary>
/// What a cloud provider wants in a Messages body instead of what Anthropic's API takes in headers and the path.
/// </summary>
/// <param name="AnthropicVersion">The body's <c>anthropic_version</c> (Bedrock: <c>bedrock-2023-05-31</c>; Vertex: <c>vertex-2023-10-16</c>).</param>
/// <param name="MoveBetas">Whether the client's <c>anthropic-beta</c> header values go into the body's <c>anthropic_beta</c>.</param>
/// <param name="DropStream">Whether the top-level <c>stream</c> goes: a provider that picks streaming by path (Bedrock) refuses it.</param>
public readonly record struct CloudBodySettings(string AnthropicVersion, bool MoveBetas, bool DropStream);
