using System.Buffers;
using System.Text.Json;
using Gateway.Front.Bedrock.Provider;

namespace Gateway.Front.Bedrock.Surface;

/// <summary>
/// The answer to <c>GET /inference-profiles?type=SYSTEM_DEFINED</c>, Bedrock's ListInferenceProfiles, which Claude
/// Code sends unauthenticated at start in Bedrock mode to see which models it may pick. It lists the built-in
/// table's profiles: public knowledge about Bedrock, nothing about the gateway's tenants or routes, so it needs
/// no key. A model a key may not use is still refused when it is called.
/// </summary>
public static class InferenceProfileList
{
    public static void Write(IBufferWriter<byte> output, string profile, string region)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteStartArray("inferenceProfileSummaries"u8);
        foreach (var baseId in BedrockModelIds.Defaults.Values.Distinct().Order(StringComparer.Ordinal))
        {
            var id = profile + "." + baseId;
            json.WriteStartObject();
            json.WriteString("inferenceProfileId"u8, id);
            json.WriteString("inferenceProfileName"u8, id);
            json.WriteString("inferenceProfileArn"u8, $"arn:aws:bedrock:{region}::inference-profile/{id}");
            json.WriteString("status"u8, "ACTIVE"u8);
            json.WriteString("type"u8, "SYSTEM_DEFINED"u8);
            json.WriteStartArray("models"u8);
            json.WriteStartObject();
            json.WriteString("modelArn"u8, $"arn:aws:bedrock:{region}::foundation-model/{baseId}");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
